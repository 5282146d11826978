import {
  ErrorResponse,
  IdParams,
  MarkAllReadResponse,
  Notification,
  NotificationList,
  NotificationListQuery,
  NotificationPreferences,
  UnreadCount,
  UnsubscribeQuery,
  UpdateNotificationPreferences,
} from '@switchyard/api-schemas';
import { type Environment, SwitchyardError } from '@switchyard/core';
import type { NotificationRow } from '@switchyard/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import { followChanges, type Heartbeat } from '../edge/follow-changes';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import { sendEventStream, sseEvent } from '../edge/sse';
import type { NotificationService } from './notification-service';
import { unsubscribedPage, unsubscribePage } from './unsubscribe-page';

const tags = ['Notifications'];
/** A signed-in user, or a key a user made (its environment's notifications); anonymous callers get 401. */
const behaviour: RouteBehaviour = { auth: 'optional', usage: false };
const config = { behaviour };
const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse };
/** A comment line this often keeps proxies from closing an idle stream. */
const defaultHeartbeatMs = 15_000;

export function publicNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    link: row.link,
    data: (row.data as Record<string, unknown> | null) ?? null,
    read: row.readAt !== null,
    readAt: row.readAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    sequence: row.sequence,
  };
}

function recipientOf(request: FastifyRequest): { environment: Environment; userId: string } {
  const principal = request.principal;
  if (!principal?.userId) {
    throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Notifications need a signed-in user or a key of one');
  }
  return { environment: principal.environment, userId: principal.userId };
}

function lastEventId(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return null;
  if (!/^\d{1,15}$/.test(value)) throw new SwitchyardError('SY_ERR_VALIDATION', 'Last-Event-ID must be a whole number');
  return Number(value);
}

type StreamItem =
  | { kind: 'notification'; row: NotificationRow; unread: number }
  | { kind: 'unread'; unread: number }
  | Heartbeat;

/** New notifications as any process stores them, and the unread count whenever it changes. */
function follow(
  notifications: NotificationService,
  recipient: { environment: Environment; userId: string },
  after: number | null,
  signal: AbortSignal,
  heartbeatMs: number,
): AsyncGenerator<StreamItem> {
  const { environment, userId } = recipient;
  let position = 0;
  let unread = 0;
  return followChanges<StreamItem>({
    watch: (onChange) => notifications.watch(environment, userId, onChange),
    signal,
    heartbeatMs,
    async *start() {
      // A new stream starts at the newest notification; a resumed one sends what it missed.
      position = after ?? (await notifications.lastSequence(environment, userId));
      unread = await notifications.unread(environment, userId);
      yield { kind: 'unread', unread };
      return false;
    },
    async *drain() {
      let rows: NotificationRow[];
      let sent = false;
      do {
        rows = await notifications.listAfter(environment, userId, position);
        if (rows.length > 0) unread = await notifications.unread(environment, userId);
        for (const row of rows) {
          position = row.sequence;
          sent = true;
          yield { kind: 'notification', row, unread };
        }
      } while (rows.length > 0);
      if (!sent) {
        const now = await notifications.unread(environment, userId);
        if (now !== unread) {
          unread = now;
          yield { kind: 'unread', unread };
        }
      }
      return false;
    },
  });
}

/** The signed-in user's notifications, preferences, live stream, and the unsubscribe links of mails. */
export function registerNotificationRoutes(
  app: FastifyInstance,
  notifications: NotificationService,
  options: { heartbeatMs?: number } = {},
): void {
  // Shutting down ends every stream at once (clients reconnect elsewhere) instead of holding the shutdown.
  const open = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    for (const controller of open) controller.abort(new Error('shutting down'));
    done();
  });

  app.get<{ Querystring: Static<typeof NotificationListQuery> }>(
    '/api/notifications',
    {
      config,
      schema: {
        tags,
        summary: 'Your in-app notifications, newest first',
        querystring: NotificationListQuery,
        response: { 200: NotificationList, ...errors },
      },
    },
    async (request) => {
      const { environment, userId } = recipientOf(request);
      const page = pageOf(request.query);
      const [rows, unread] = await Promise.all([
        notifications.list(environment, userId, { ...page, unreadOnly: request.query.unread === 'true' }),
        notifications.unread(environment, userId),
      ]);
      return { notifications: rows.map(publicNotification), unread, ...page };
    },
  );

  app.get(
    '/api/notifications/unread-count',
    {
      config,
      schema: { tags, summary: 'How many notifications you have not read', response: { 200: UnreadCount, ...errors } },
    },
    async (request) => {
      const { environment, userId } = recipientOf(request);
      return { unread: await notifications.unread(environment, userId) };
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/notifications/:id/read',
    {
      config,
      schema: {
        tags,
        summary: 'Mark one notification read',
        params: IdParams,
        response: { 200: Notification, ...errors },
      },
    },
    async (request) => {
      const { environment, userId } = recipientOf(request);
      return publicNotification(await notifications.markRead(environment, userId, request.params.id));
    },
  );

  app.post(
    '/api/notifications/read-all',
    {
      config,
      schema: { tags, summary: 'Mark every notification read', response: { 200: MarkAllReadResponse, ...errors } },
    },
    async (request) => {
      const { environment, userId } = recipientOf(request);
      const marked = await notifications.markAllRead(environment, userId);
      return { marked, unread: await notifications.unread(environment, userId) };
    },
  );

  app.get(
    '/api/notifications/preferences',
    {
      config,
      schema: {
        tags,
        summary: 'Per kind and channel: off, immediate or in the daily digest',
        response: { 200: NotificationPreferences, ...errors },
      },
    },
    async (request) => {
      const { environment, userId } = recipientOf(request);
      return notifications.preferences(environment, userId);
    },
  );

  app.put<{ Body: Static<typeof UpdateNotificationPreferences> }>(
    '/api/notifications/preferences',
    {
      config,
      schema: {
        tags,
        summary: 'Change some preferences (the ones not named stay) and the WhatsApp number',
        body: UpdateNotificationPreferences,
        response: { 200: NotificationPreferences, ...errors },
      },
    },
    async (request) => {
      const { environment, userId } = recipientOf(request);
      return notifications.updatePreferences(environment, userId, {
        ...(request.body.preferences ? { preferences: request.body.preferences } : {}),
        ...(request.body.whatsappNumber !== undefined ? { whatsappNumber: request.body.whatsappNumber } : {}),
      });
    },
  );

  app.get(
    '/api/notifications/stream',
    {
      config,
      schema: {
        tags,
        summary: 'New notifications and the unread count, live (text/event-stream); resume with Last-Event-ID',
        response: errors,
      },
    },
    async (request, reply) => {
      const recipient = recipientOf(request);
      const after = lastEventId(request.headers['last-event-id']);
      const closing = new AbortController();
      open.add(closing);
      const signal = AbortSignal.any([clientDisconnectSignal(request, reply), closing.signal]);
      signal.addEventListener('abort', () => open.delete(closing), { once: true });
      reply.raw.once('close', () => open.delete(closing));
      const source = follow(notifications, recipient, after, signal, options.heartbeatMs ?? defaultHeartbeatMs);
      return sendEventStream(reply, source, {
        frame: (item) =>
          item.kind === 'heartbeat'
            ? ': keep-alive\n\n'
            : item.kind === 'unread'
              ? sseEvent('unread', { unread: item.unread })
              : sseEvent(
                  'notification',
                  { notification: publicNotification(item.row), unread: item.unread },
                  item.row.sequence,
                ),
        end: () => '',
        error: () =>
          sseEvent('error', { error: { code: 'SY_ERR_INTERNAL', message: 'The notification stream failed' } }),
      });
    },
  );

  // Mail links work without signing in: the signed token is the authority. GET only shows a button
  // (mail scanners open links), POST turns the email off; mail clients POST directly (RFC 8058 one-click).
  const unsubscribeConfig = { behaviour: { auth: 'none', usage: false } satisfies RouteBehaviour };
  app.register(async (scope) => {
    // The one-click POST and the page's form send application/x-www-form-urlencoded; nothing in it is read.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 1_024 },
      (_request, _body, done) => done(null, {}),
    );

    scope.get<{ Querystring: Static<typeof UnsubscribeQuery> }>(
      '/api/notifications/unsubscribe',
      {
        config: unsubscribeConfig,
        schema: {
          tags,
          summary: 'The page an email unsubscribe link opens (asks to confirm)',
          querystring: UnsubscribeQuery,
        },
      },
      async (request, reply) => {
        // Checked now so a broken link says so before anyone clicks.
        await notifications.checkUnsubscribe(request.query.token);
        return reply.type('text/html; charset=utf-8').send(unsubscribePage(request.query.token));
      },
    );

    scope.post<{ Querystring: Static<typeof UnsubscribeQuery> }>(
      '/api/notifications/unsubscribe',
      {
        config: unsubscribeConfig,
        schema: {
          tags,
          summary: "Turn off the email of the link's kind (one-click, no sign-in)",
          querystring: UnsubscribeQuery,
        },
      },
      async (request, reply) => {
        const claim = await notifications.unsubscribe(request.query.token);
        return reply.type('text/html; charset=utf-8').send(unsubscribedPage(claim.kind, claim.channel));
      },
    );
  });
}
