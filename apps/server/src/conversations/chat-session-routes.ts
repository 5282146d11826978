import { Readable } from 'node:stream';
import { ChatSessionRequest, ChatStreamQuery, StartChatRequest, StartChatResponse } from '@switchyard/api-schemas';
import { type SessionEvent, SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import { notFound, ownerOf } from '../edge/owner';
import type { RouteBehaviour } from '../edge/principal';
import { sseEvent, sseHeaders } from '../edge/sse';
import type { Databases } from '../infrastructure/databases';
import { type ChatSessionDependencies, type ChatSessions, createChatSessions } from './chat-sessions';

const startBehaviour: RouteBehaviour = { auth: 'session', rateLimit: 'chat', usage: false, plansInHandler: true };
const sessionBehaviour: RouteBehaviour = { auth: 'session', usage: false };
const tags = ['Conversations'];
const keepAliveMs = 15_000;

function frame(event: SessionEvent): string {
  return sseEvent(event.event, event.data, event.id);
}

/** Reads `Last-Event-ID` (EventSource sends it on reconnect) or `lastEventId` for clients that cannot set headers. */
function resumeAfter(header: string | string[] | undefined, query: string | undefined): number {
  const value = (Array.isArray(header) ? header[0] : header) ?? query;
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,9}$/.test(value)) throw new SwitchyardError('SY_ERR_VALIDATION', 'Last-Event-ID must be an event id');
  return Number(value);
}

async function* follow(sessions: ChatSessions, sessionId: string, afterId: number, signal: AbortSignal) {
  yield 'retry: 1000\n\n';
  let last = afterId;
  let lastWrite = Date.now();
  while (!signal.aborted) {
    const events = await sessions.log.read(sessionId, last);
    for (const event of events) {
      last = event.id;
      lastWrite = Date.now();
      yield frame(event);
      if (event.event === 'done') return;
    }
    if (events.length > 0) continue;
    // A comment now and then keeps proxies from closing a stream while the model thinks.
    if (Date.now() - lastWrite >= keepAliveMs) {
      lastWrite = Date.now();
      yield ': keep-alive\n\n';
    }
    await sessions.log.wait(sessionId, last, signal);
  }
}

/** Seed 004's streaming chat: start stores the question, stream delivers the answer (resumable), stop ends it. */
export function registerChatSessionRoutes(
  app: FastifyInstance,
  chat: ChatSessionDependencies & { readonly databases: Databases },
): void {
  const sessions = createChatSessions(chat);
  // Before the server stops accepting: open answers end as stopped (partial text stored) and their streams finish.
  app.addHook('preClose', async () => sessions.close());

  app.post<{ Body: StartChatRequest }>(
    '/api/chat/start',
    {
      config: { behaviour: startBehaviour },
      schema: {
        tags,
        summary:
          'Store a message and start the answer (with `apps`/`focus`, the model may call skills); read it from ' +
          'GET /api/chat/stream?sessionId=. `answerTo` regenerates, `parentId` edits (both keep the old ' +
          'versions), `models` compares two or three models (one session each)',
        body: StartChatRequest,
        response: { 201: StartChatResponse },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await sessions.start(ownerOf(chat.databases, request), request.body)),
  );

  app.get<{ Querystring: Static<typeof ChatStreamQuery> }>(
    '/api/chat/stream',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags,
        summary:
          'The answer as server-sent events (start, tool_call/tool_result… with apps, delta…, error?, done); ' +
          'resumes after Last-Event-ID',
        querystring: ChatStreamQuery,
      },
    },
    async (request, reply) => {
      const owner = ownerOf(chat.databases, request);
      const meta = await sessions.log.meta(request.query.sessionId);
      if (!meta || meta.userId !== owner.userId) throw notFound('chat session');
      const afterId = resumeAfter(request.headers['last-event-id'], request.query.lastEventId);
      const signal = clientDisconnectSignal(request, reply);
      reply.headers(sseHeaders);
      request.streaming = true;
      return reply.send(
        Readable.from(follow(sessions, request.query.sessionId, afterId, signal), { objectMode: false }),
      );
    },
  );

  app.post<{ Body: ChatSessionRequest }>(
    '/api/chat/stop',
    {
      config: { behaviour: sessionBehaviour },
      schema: { tags, summary: 'Stop an answer; the text so far is kept', body: ChatSessionRequest },
    },
    async (request) => {
      await sessions.stop(ownerOf(chat.databases, request), request.body.sessionId);
      return { stopped: true };
    },
  );
}
