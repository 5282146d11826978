import type { ChatCompletionChunk, ChatRequest } from '@switchyard/providers';
import type { ModelRoute } from '@switchyard/routing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientDisconnectController } from '../edge/client-disconnect';
import { type CompletedChat, completeChat, resolveModel, startChatStream } from './chat-execution';
import { chatCallOf, tagAnswer } from './chat-http';
import type { GatewayDependencies } from './gateway-dependencies';

/**
 * What every client-protocol ingress (Anthropic Messages, Ollama, Responses) shares once it has translated
 * its request to the internal chat request: model access for the caller's environment, the cache, routing
 * with retries and fallbacks, client-disconnect cancellation, the answer's headers and the usage row.
 */
export function resolveIngressModel(
  gateway: GatewayDependencies,
  request: FastifyRequest,
  modelId: string,
): ModelRoute {
  const route = resolveModel(gateway, modelId, request.principal?.environment ?? 'prod');
  request.usageInfo = { model: route.id, promptTokens: null, completionTokens: null };
  return route;
}

export async function completeIngressChat(
  gateway: GatewayDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  route: ModelRoute,
  body: ChatRequest,
): Promise<CompletedChat> {
  const answer = await completeChat(
    gateway,
    chatCallOf(request),
    route,
    body,
    clientDisconnectController(request, reply),
  );
  tagAnswer(reply, answer);
  const usage = answer.completion.usage;
  request.usageInfo = {
    model: route.id,
    promptTokens: usage?.prompt_tokens ?? null,
    completionTokens: usage?.completion_tokens ?? null,
  };
  return answer;
}

/** A started stream (a failure before the first chunk is still a proper HTTP error) whose usage lands in the row. */
export async function startIngressChatStream(
  gateway: GatewayDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  route: ModelRoute,
  body: ChatRequest,
): Promise<AsyncIterable<ChatCompletionChunk>> {
  const started = await startChatStream(
    gateway,
    chatCallOf(request),
    route,
    body,
    clientDisconnectController(request, reply),
  );
  tagAnswer(reply, started);
  async function* observed(): AsyncGenerator<ChatCompletionChunk> {
    for await (const chunk of started.chunks) {
      if (chunk.usage) {
        request.usageInfo = {
          model: route.id,
          promptTokens: chunk.usage.prompt_tokens,
          completionTokens: chunk.usage.completion_tokens,
        };
      }
      yield chunk;
    }
  }
  return observed();
}
