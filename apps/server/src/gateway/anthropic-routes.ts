import {
  AnthropicCountTokensRequest,
  AnthropicCountTokensResponse,
  AnthropicErrorResponse,
  AnthropicMessagesRequest,
  AnthropicMessagesResponse,
} from '@switchyard/api-schemas';
import type { FastifyInstance } from 'fastify';
import { errorBody, normalizeError } from '../edge/error-handler';
import type { RouteBehaviour } from '../edge/principal';
import { sendEventStream } from '../edge/sse';
import {
  anthropicErrorEvent,
  anthropicMessageOf,
  chatRequestOfAnthropic,
  createAnthropicStreamWriter,
  estimateInputTokens,
} from './anthropic-translate';
import type { GatewayDependencies } from './gateway-dependencies';
import { completeIngressChat, resolveIngressModel, startIngressChatStream } from './ingress-chat-http';

/**
 * Keys from `x-api-key` (Anthropic's clients) or `Authorization: Bearer`; the `chat` scope and the chat
 * rate limit, like /v1/chat/completions; errors in Anthropic's shape.
 */
const messagesBehaviour: RouteBehaviour = {
  auth: 'optional',
  rateLimit: 'chat',
  errorShape: 'anthropic',
  apiKeyHeader: true,
};
const countBehaviour: RouteBehaviour = { auth: 'optional', scope: 'chat', errorShape: 'anthropic', apiKeyHeader: true };
const errorResponses = {
  400: AnthropicErrorResponse,
  401: AnthropicErrorResponse,
  403: AnthropicErrorResponse,
  404: AnthropicErrorResponse,
  429: AnthropicErrorResponse,
};
const security = [{ bearer: [] }, { anthropicKey: [] }, {}];

/** Anthropic's Messages API in front of every provider: Claude clients and tools can use any configured model. */
export function registerAnthropicRoutes(app: FastifyInstance, gateway: GatewayDependencies): void {
  app.post<{ Body: AnthropicMessagesRequest }>(
    '/v1/messages',
    {
      config: { behaviour: messagesBehaviour },
      schema: {
        tags: ['Anthropic-compatible'],
        summary: 'Create a message (Anthropic Messages API; streaming with `stream: true`)',
        description:
          "Anthropic's Messages request and response, routed to any model from GET /v1/models (of any " +
          'provider). Key in `x-api-key` or `Authorization: Bearer` (the `chat` scope); `anthropic-version` ' +
          "is accepted. With `stream: true` the answer is Anthropic's server-sent events (message_start, " +
          'content_block_start, content_block_delta, content_block_stop, message_delta, message_stop).',
        security,
        body: AnthropicMessagesRequest,
        response: { 200: AnthropicMessagesResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const route = resolveIngressModel(gateway, request, body.model);
      const chatRequest = chatRequestOfAnthropic(body);
      if (!body.stream) {
        const answer = await completeIngressChat(gateway, request, reply, route, chatRequest);
        return anthropicMessageOf(answer.completion, body.model);
      }
      const chunks = await startIngressChatStream(gateway, request, reply, route, chatRequest);
      const writer = createAnthropicStreamWriter(body.model);
      let lastId = `chatcmpl-${request.id}`;
      return sendEventStream(reply, chunks, {
        frame(chunk) {
          lastId = chunk.id;
          return writer.frame(chunk) || null;
        },
        end: () => writer.end(lastId),
        error(error) {
          const normalized = normalizeError(error);
          request.log.warn({ code: normalized.code }, 'stream ended by an upstream error');
          return anthropicErrorEvent(errorBody(normalized, 'anthropic', gateway.secrets));
        },
      });
    },
  );

  app.post<{ Body: AnthropicCountTokensRequest }>(
    '/v1/messages/count_tokens',
    {
      config: { behaviour: countBehaviour },
      schema: {
        tags: ['Anthropic-compatible'],
        summary: 'Count the input tokens of a message (an estimate)',
        description:
          "Anthropic's count_tokens request. Switchyard routes to models of many providers and has no tokenizer " +
          'for each: the count is an estimate (one token per word of the system prompt, messages and tool ' +
          'definitions), deterministic, with no upstream call.',
        security,
        body: AnthropicCountTokensRequest,
        response: { 200: AnthropicCountTokensResponse, ...errorResponses },
      },
    },
    async (request) => {
      resolveIngressModel(gateway, request, request.body.model);
      return { input_tokens: estimateInputTokens(request.body) };
    },
  );
}
