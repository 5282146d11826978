import {
  OpenAIErrorResponses,
  ResponseDeleted,
  ResponseIdParams,
  ResponseObject,
  ResponsesRequest,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import { createStoredResponsesRepository } from '@switchyard/db';
import type { ChatCompletionChunk, ChatMessage } from '@switchyard/providers';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody, normalizeError } from '../edge/error-handler';
import type { Principal, RouteBehaviour } from '../edge/principal';
import { sendEventStream } from '../edge/sse';
import type { Databases } from '../infrastructure/databases';
import type { GatewayDependencies } from './gateway-dependencies';
import { completeIngressChat, resolveIngressModel, startIngressChatStream } from './ingress-chat-http';
import {
  assistantMessageOf,
  chatRequestOfResponses,
  createResponsesStreamWriter,
  newId,
  outcomeOfCompletion,
  type ResponseOutcome,
  responseObject,
} from './responses-translate';

/** What the Responses API adds to the gateway: each environment's database, where responses are stored. */
export interface ResponsesDependencies extends GatewayDependencies {
  readonly databases: Databases;
}

const createBehaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'chat', openaiErrors: true };
const readBehaviour: RouteBehaviour = { auth: 'optional', scope: 'chat', openaiErrors: true };
const dayMs = 24 * 60 * 60_000;

/** A user's keys and session share their responses; otherwise the key (or the anonymous client's address). */
function ownerOf(principal: Principal | null, request: FastifyRequest): string {
  if (principal?.userId) return `user:${principal.userId}`;
  return principal?.subject ?? `ip:${request.ip}`;
}

function notFound(id: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_NOT_FOUND', `No response '${id}' (it may have expired)`, {
    details: { param: 'previous_response_id' },
  });
}

/** OpenAI's Responses API, translated to every provider; stored responses live in the caller's environment. */
export function registerResponsesRoutes(app: FastifyInstance, gateway: ResponsesDependencies): void {
  const repository = (request: FastifyRequest) =>
    createStoredResponsesRepository(gateway.databases[request.principal?.environment ?? 'prod'].db);

  app.post<{ Body: ResponsesRequest }>(
    '/v1/responses',
    {
      config: { behaviour: createBehaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Create a response (Responses API; streaming with `stream: true`)',
        description:
          "OpenAI's Responses API routed to any model of GET /v1/models (of any provider): `input` as a string " +
          'or items (messages, function_call, function_call_output), `instructions`, function `tools`, ' +
          "`previous_response_id` (responses are stored in the caller's environment for the setting " +
          '`responses.retention_days` unless `store: false`). With `stream: true` the answer is the semantic ' +
          'events (response.created, response.output_text.delta, response.completed, ...).',
        security: [{ bearer: [] }, {}],
        body: ResponsesRequest,
        response: { 200: ResponseObject, ...OpenAIErrorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const route = resolveIngressModel(gateway, request, body.model);
      const owner = ownerOf(request.principal, request);
      const responses = repository(request);
      let history: ChatMessage[] = [];
      if (body.previous_response_id) {
        const previous = await responses.find(body.previous_response_id, owner);
        if (!previous) throw notFound(body.previous_response_id);
        history = previous.conversation as ChatMessage[];
      }
      const chatRequest = chatRequestOfResponses(body, history);
      const ids = { id: newId('resp'), messageId: newId('msg'), createdAt: Math.floor(Date.now() / 1000) };
      // Instructions are not carried over to the next response (as OpenAI does): the stored conversation omits them.
      const conversation = chatRequest.messages.slice(body.instructions ? 1 : 0);
      const store = async (outcome: ResponseOutcome, response: unknown) => {
        if (body.store === false) return;
        const retentionDays = gateway.settings.current().getInteger('responses.retention_days');
        await responses.save(
          {
            id: ids.id,
            owner,
            model: route.id,
            conversation: [...conversation, assistantMessageOf(outcome)],
            response,
          },
          new Date(Date.now() + retentionDays * dayMs),
        );
      };

      if (!body.stream) {
        const answer = await completeIngressChat(gateway, request, reply, route, chatRequest);
        const outcome = outcomeOfCompletion(answer.completion);
        const response = responseObject(body, ids, outcome);
        await store(outcome, response);
        return response;
      }
      const chunks = await startIngressChatStream(gateway, request, reply, route, chatRequest);
      const writer = createResponsesStreamWriter(body, ids);
      // The response is stored before response.completed is sent, so a client that continues at once finds it.
      async function* storedAtEnd(): AsyncGenerator<ChatCompletionChunk> {
        yield* chunks;
        const outcome = writer.outcome();
        await store(outcome, responseObject(body, ids, outcome));
      }
      let started = false;
      return sendEventStream(reply, storedAtEnd(), {
        frame(chunk) {
          const head = started ? '' : writer.start();
          started = true;
          return head + writer.frame(chunk) || null;
        },
        end: () => (started ? '' : writer.start()) + writer.end(),
        error(error) {
          const normalized = normalizeError(error);
          request.log.warn({ code: normalized.code }, 'stream ended by an upstream error');
          return writer.error(
            errorBody(normalized, true, gateway.secrets) as { error: { message: string; code: string } },
          );
        },
      });
    },
  );

  app.get<{ Params: ResponsesIdParams }>(
    '/v1/responses/:id',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Retrieve a stored response',
        description: "Another caller's response, or one past its retention, is a 404.",
        security: [{ bearer: [] }, {}],
        params: ResponseIdParams,
        response: { 200: ResponseObject, ...OpenAIErrorResponses },
      },
    },
    async (request) => {
      const found = await repository(request).find(request.params.id, ownerOf(request.principal, request));
      if (!found) throw notFound(request.params.id);
      return found.response;
    },
  );

  app.delete<{ Params: ResponsesIdParams }>(
    '/v1/responses/:id',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Delete a stored response',
        security: [{ bearer: [] }, {}],
        params: ResponseIdParams,
        response: { 200: ResponseDeleted, ...OpenAIErrorResponses },
      },
    },
    async (request) => {
      const deleted = await repository(request).delete(request.params.id, ownerOf(request.principal, request));
      if (!deleted) throw notFound(request.params.id);
      return { id: request.params.id, object: 'response.deleted' as const, deleted: true };
    },
  );
}

type ResponsesIdParams = { id: string };
