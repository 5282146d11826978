import {
  ErrorResponse,
  GiftAnswerCreate,
  GiftProductImageParams,
  GiftSessionCreate,
  GiftSessionList,
  GiftSessionParams,
  GiftSessionResponse,
} from '@switchyard/api-schemas';
import { type Environment, type SwitchyardConfig, SwitchyardError } from '@switchyard/core';
import {
  createGiftSessionsRepository,
  type Db,
  type GiftSessionsRepository,
  withGiftServiceRole,
} from '@switchyard/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import type { RouteBehaviour } from '../edge/principal';
import { sendEventStream, sseEvent } from '../edge/sse';
import type { PlatformEventBus } from '../events/event-bus';
import type { FlowService } from '../events/flows';
import type { Databases } from '../infrastructure/databases';
import type { SettingsStore } from '../settings/settings-store';
import { version } from '../version';
import { followSession, parseLastEventId } from './gift-session-stream';
import { wireSession, wireSessionSummary } from './gift-session-wire';
import { createProductImageProxy } from './product-images';

export interface GiftFinderRouteDependencies {
  readonly config: SwitchyardConfig;
  readonly mode: 'embedded' | 'server';
  readonly databases: Databases;
  readonly events: PlatformEventBus;
  readonly flows: FlowService;
  readonly settings: SettingsStore;
}

/** Signed-in users and keys with the `apps` scope; anonymous callers are refused in the handlers. */
const behaviour: RouteBehaviour = { auth: 'optional', scope: 'apps' };
const tags = ['Apps'];
const security = [{ bearer: [] }];
const base = '/v1/apps/gift-finder/sessions';
const heartbeatMs = 15_000;
/** Product images are the same for a day; only the owner's browser keeps them. */
const imageCacheControl = 'private, max-age=86400';

function ownerOf(request: FastifyRequest): { owner: string; environment: Environment } {
  const principal = request.principal;
  if (!principal || principal.kind === 'anonymous') {
    throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'The gift finder needs a signed-in user or an API key');
  }
  // A user's sessions are theirs whether they come with the cookie or one of their keys.
  const owner = principal.userId ? `user:${principal.userId}` : `key:${principal.keyId}`;
  return { owner, environment: principal.environment };
}

const notFound = (id: string) =>
  new SwitchyardError('SY_ERR_GIFT_SESSION_NOT_FOUND', `No gift-finder session with id '${id}'`);

/**
 * The gift finder's HTTP API (docs/gift-finder.md): sessions in the caller's environment, read from
 * the read model the workers keep; the interview and progress stream from the session's flow log.
 */
export function registerGiftFinderRoutes(app: FastifyInstance, dependencies: GiftFinderRouteDependencies): void {
  if (dependencies.config.giftFinder.enabled === false) return;
  const { databases, events, flows, settings } = dependencies;
  const useRoles = dependencies.mode === 'server' && dependencies.config.giftFinder.serviceRoles === true;
  const sessionsIn = <T>(
    environment: Environment,
    work: (sessions: GiftSessionsRepository, transaction: Db) => Promise<T>,
  ) =>
    withGiftServiceRole(databases[environment].db, 'sessions', useRoles, (db) =>
      work(createGiftSessionsRepository(db), db),
    );
  /** The relay also hears the commit's NOTIFY; this only saves the first event of a just-opened database the wait. */
  const relaySoon = () => void events.relayOutbox().catch(() => {});

  async function owned(request: FastifyRequest, id: string) {
    const { owner, environment } = ownerOf(request);
    const view = await sessionsIn(environment, (sessions) => sessions.view(id));
    if (!view || view.session.owner !== owner) throw notFound(id);
    return { view, environment };
  }

  app.post<{ Body: GiftSessionCreate }>(
    base,
    {
      config: { behaviour },
      schema: {
        tags,
        summary: 'Start a gift-finder session (the interview’s first question follows over SSE)',
        security,
        body: GiftSessionCreate,
        response: {
          201: GiftSessionResponse,
          400: ErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { owner, environment } = ownerOf(request);
      const body = request.body;
      const profile = body.profile;
      const links = profile?.links ?? [];
      const text = profile?.text?.trim() ? profile.text : null;
      if (profile && profile.consent !== true) {
        throw new SwitchyardError(
          'SY_ERR_GIFT_PROFILE_CONSENT_REQUIRED',
          'Reading a profile needs the user’s consent: send profile.consent = true',
        );
      }
      for (const link of links) {
        try {
          new URL(link);
        } catch {
          throw new SwitchyardError('SY_ERR_VALIDATION', `profile.links: '${link.slice(0, 100)}' is not a URL`);
        }
      }
      const profileRequested = links.length > 0 || text !== null;
      const currency = body.currency ?? String(settings.current().get('gift_finder.default_currency'));
      const id = await flows.start(environment, owner);
      const now = new Date();
      // The session and its first events commit together (the environment's outbox): a crash after
      // the commit loses no event, the relay publishes them; a failure before it leaves no session.
      await sessionsIn(environment, async (sessions, transaction) => {
        await sessions.create({
          id,
          owner,
          recipient: body.recipient?.trim() || null,
          currency,
          locale: body.locale ?? null,
          status: 'interviewing',
          summary: null,
          profileStatus: profileRequested ? 'pending' : 'none',
          profileInterests: [],
          profileFailures: [],
          ranking: null,
          createdAt: now,
          updatedAt: now,
        });
        await events.publishInTransaction(
          transaction,
          'ChatStartInterview',
          {
            sessionId: id,
            recipient: body.recipient?.trim() || null,
            currency,
            locale: body.locale ?? null,
            profileRequested,
          },
          { environment, flowId: id, id: `${id}-start`, trace: { requestId: request.id } },
        );
        if (profileRequested) {
          await events.publishInTransaction(
            transaction,
            'StalkingAnalyzeRequested',
            { sessionId: id, links, text, consent: true },
            { environment, flowId: id, id: `${id}-profile`, trace: { requestId: request.id } },
          );
        }
      });
      relaySoon();
      const view = await sessionsIn(environment, (sessions) => sessions.view(id));
      if (!view) throw notFound(id);
      return reply.code(201).send({ session: wireSession(view) });
    },
  );

  app.post<{ Params: GiftSessionParams; Body: GiftAnswerCreate }>(
    `${base}/:id/answers`,
    {
      config: { behaviour },
      schema: {
        tags,
        summary: 'Answer the interview’s open question',
        security,
        params: GiftSessionParams,
        body: GiftAnswerCreate,
        response: {
          202: GiftSessionResponse,
          400: ErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          404: ErrorResponse,
          409: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { environment } = await owned(request, request.params.id);
      const id = request.params.id;
      const now = new Date();
      // The answer, its message and its event commit together (the environment's outbox).
      await sessionsIn(environment, async (sessions, transaction) => {
        const turn = await sessions.takeAnswer(id, now);
        if (turn === null) {
          throw new SwitchyardError('SY_ERR_GIFT_SESSION_STATE', 'This session is not waiting for an answer');
        }
        const message = { id: `${id}-a${turn}`, turn, text: request.body.text, createdAt: now.toISOString() };
        await sessions.addMessage({ ...message, sessionId: id, role: 'user', createdAt: now });
        await events.publishInTransaction(
          transaction,
          'ChatUserAnswered',
          { sessionId: id, message },
          { environment, flowId: id, id: `${id}-answer-${turn}`, trace: { requestId: request.id } },
        );
      });
      relaySoon();
      const view = await sessionsIn(environment, (sessions) => sessions.view(id));
      if (!view) throw notFound(id);
      return reply.code(202).send({ session: wireSession(view) });
    },
  );

  app.get(
    base,
    {
      config: { behaviour },
      schema: {
        tags,
        summary: 'Your gift-finder sessions, newest first',
        security,
        response: { 200: GiftSessionList, 401: ErrorResponse, 403: ErrorResponse },
      },
    },
    async (request) => {
      const { owner, environment } = ownerOf(request);
      const rows = await sessionsIn(environment, (sessions) => sessions.listOwned(owner, 100));
      return { data: rows.map(wireSessionSummary) };
    },
  );

  app.get<{ Params: GiftSessionParams }>(
    `${base}/:id`,
    {
      config: { behaviour },
      schema: {
        tags,
        summary: 'A gift-finder session: interview, progress, ideas, products, ranking and usage',
        security,
        params: GiftSessionParams,
        response: { 200: GiftSessionResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => ({ session: wireSession((await owned(request, request.params.id)).view) }),
  );

  // The web page's Content-Security-Policy loads images from its own origin only: product images
  // come through here, for the session's owner, and only the image URL a marketplace gave for one
  // of the session's products (never a URL the caller names).
  const web = dependencies.config.builtinApps?.web;
  const images = createProductImageProxy({
    allowedNetworks: web?.allowedNetworks ?? [],
    ...(web?.fetchTimeoutMs ? { timeoutMs: web.fetchTimeoutMs } : {}),
    ...(dependencies.config.giftFinder.images?.maxBytes
      ? { maxBytes: dependencies.config.giftFinder.images.maxBytes }
      : {}),
    ...(dependencies.config.giftFinder.images?.cacheBytes !== undefined
      ? { cacheBytes: dependencies.config.giftFinder.images.cacheBytes }
      : {}),
    userAgent: `Switchyard/${version} (+gift finder)`,
  });
  app.addHook('onClose', async () => {
    await images.close();
  });

  app.get<{ Params: GiftProductImageParams }>(
    `${base}/:id/products/:productId/image`,
    {
      config: { behaviour: { ...behaviour, usage: false } },
      schema: {
        tags,
        summary: 'A product’s image, fetched for the page (its Content-Security-Policy loads no other origin)',
        description:
          'Only for the session’s owner and only the image a marketplace gave for one of its products. Served when ' +
          'its bytes are JPEG, PNG, GIF, WebP or AVIF and it is within giftFinder.images.maxBytes (5 MiB); a ' +
          'non-public address, another type (SVG included) or a larger image is 502 SY_ERR_IMAGE_REFUSED.',
        security,
        params: GiftProductImageParams,
        response: {
          400: ErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          404: ErrorResponse,
          502: ErrorResponse,
          503: ErrorResponse,
          504: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { id, productId } = request.params;
      const { owner, environment } = ownerOf(request);
      const found = await sessionsIn(environment, async (sessions) => {
        const session = await sessions.find(id);
        if (!session || session.owner !== owner) throw notFound(id);
        return sessions.product(id, productId);
      });
      if (!found?.image) {
        throw new SwitchyardError('SY_ERR_NOT_FOUND', `Session '${id}' has no product '${productId}' with an image`);
      }
      const image = await images.get(found.image, clientDisconnectSignal(request, reply));
      return reply
        .code(200)
        .header('content-type', image.contentType)
        .header('cache-control', imageCacheControl)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(image.body);
    },
  );

  // Shutting down ends every stream at once; clients resume with Last-Event-ID on another process.
  const open = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    for (const controller of open) controller.abort(new Error('shutting down'));
    done();
  });

  app.get<{ Params: GiftSessionParams }>(
    `${base}/:id/events`,
    {
      config: { behaviour: { ...behaviour, usage: false } },
      schema: {
        tags,
        summary: 'A session’s interview and progress as server-sent events; resume with Last-Event-ID',
        description:
          'Events: question, answer, stage, products, ranking, refused, then done (the stream ends). What happened ' +
          'so far is replayed first (after Last-Event-ID when given), then new events follow from any API process.',
        security,
        params: GiftSessionParams,
        response: { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const after = parseLastEventId(request.headers['last-event-id']);
      await owned(request, request.params.id);
      const closing = new AbortController();
      open.add(closing);
      const signal = AbortSignal.any([clientDisconnectSignal(request, reply), closing.signal]);
      signal.addEventListener('abort', () => open.delete(closing), { once: true });
      reply.raw.once('close', () => open.delete(closing));
      const source = followSession(flows, request.params.id, after, signal, heartbeatMs);
      return sendEventStream(reply, source, {
        frame: (item) =>
          item.kind === 'heartbeat'
            ? ': keep-alive\n\n'
            : sseEvent(item.message.event, item.message.data, item.message.id),
        end: () => '',
        error: () => sseEvent('error', { error: { code: 'SY_ERR_INTERNAL', message: 'The event stream failed' } }),
      });
    },
  );
}
