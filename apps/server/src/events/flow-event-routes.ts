import { ErrorResponse, FlowIdParams } from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import { followChanges, type Heartbeat } from '../edge/follow-changes';
import type { RouteBehaviour } from '../edge/principal';
import { sendEventStream, sseEvent } from '../edge/sse';
import { wireEnvelope } from './event-wire';
import type { FlowEntry, FlowService } from './flows';

/** Keys and signed-in users; the flow must be theirs. */
const behaviour: RouteBehaviour = { auth: 'optional', usage: false };
/** A comment line this often keeps proxies from closing an idle stream. */
const defaultHeartbeatMs = 15_000;
/** The event that ends a flow: its followers' streams end after it. */
const finalEvent = 'FlowCompleted';

type StreamItem = { kind: 'event'; entry: FlowEntry } | Heartbeat;

function lastEventId(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,15}$/.test(value)) throw new SwitchyardError('SY_ERR_VALIDATION', 'Last-Event-ID must be a whole number');
  return Number(value);
}

/** The flow's recorded events after `after`, then each new one as any process records it, until the final one. */
function follow(
  flows: FlowService,
  flowId: string,
  after: number,
  signal: AbortSignal,
  heartbeatMs: number,
): AsyncGenerator<StreamItem> {
  let position = after;
  return followChanges<StreamItem>({
    watch: (onChange) => flows.watch(flowId, onChange),
    signal,
    heartbeatMs,
    async *start() {
      // Sends the headers now: a client waiting for a flow's first event knows it is connected.
      yield { kind: 'heartbeat' };
      return false;
    },
    async *drain() {
      let entries: FlowEntry[];
      do {
        entries = await flows.read(flowId, position);
        for (const entry of entries) {
          position = entry.sequence;
          yield { kind: 'event', entry };
          if (entry.event.name === finalEvent) return true;
        }
      } while (entries.length > 0);
      return false;
    },
  });
}

/**
 * Server-sent events of one flow, from any API process: what was recorded so far (after
 * Last-Event-ID when the client resumes), then each new event as it is recorded.
 */
export function registerFlowEventRoutes(
  app: FastifyInstance,
  flows: FlowService,
  options: { heartbeatMs?: number } = {},
): void {
  // Shutting down ends every stream at once (clients resume with Last-Event-ID elsewhere) instead
  // of holding the shutdown until its timeout.
  const open = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    for (const controller of open) controller.abort(new Error('shutting down'));
    done();
  });

  app.get<{ Params: FlowIdParams }>(
    '/v1/events/flows/:flowId',
    {
      config: { behaviour },
      schema: {
        tags: ['Events'],
        summary: "Follow a flow's events (text/event-stream); resume with Last-Event-ID",
        security: [{ bearer: [] }],
        params: FlowIdParams,
        response: { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal || principal.kind === 'anonymous') {
        throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Following a flow needs an API key or a signed-in user');
      }
      const after = lastEventId(request.headers['last-event-id']);
      await flows.authorize(request.params.flowId, principal.subject, principal.environment);
      const closing = new AbortController();
      open.add(closing);
      const signal = AbortSignal.any([clientDisconnectSignal(request, reply), closing.signal]);
      signal.addEventListener('abort', () => open.delete(closing), { once: true });
      reply.raw.once('close', () => open.delete(closing));
      const source = follow(flows, request.params.flowId, after, signal, options.heartbeatMs ?? defaultHeartbeatMs);
      return sendEventStream(reply, source, {
        frame: (item) =>
          item.kind === 'heartbeat'
            ? ': keep-alive\n\n'
            : sseEvent(item.entry.event.name, wireEnvelope(item.entry.event), item.entry.sequence),
        end: () => '',
        error: () => sseEvent('error', { error: { code: 'SY_ERR_INTERNAL', message: 'The event stream failed' } }),
      });
    },
  );
}
