import { SwitchyardError } from '@switchyard/core';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from '@switchyard/providers';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ModelRoute } from '../runtime/model-registry';
import type { Runtime } from '../runtime/runtime';

export function resolveModel(runtime: Runtime, modelId: string): ModelRoute {
  const route = runtime.models.resolve(modelId);
  if (!route) {
    throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `The model '${modelId}' does not exist or is not available`, {
      details: { param: 'model' },
    });
  }
  return route;
}

/**
 * An AbortSignal that fires when the client goes away before the response is
 * complete, so the upstream request is cancelled with it.
 */
export function clientDisconnectSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  });
  request.raw.once('aborted', () => controller.abort(new Error('client disconnected')));
  return controller.signal;
}

export async function completeChat(
  runtime: Runtime,
  route: ModelRoute,
  body: ChatRequest,
  signal: AbortSignal,
): Promise<ChatCompletion> {
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await route.adapter.chat({ ...body, model: route.upstreamModel }, { signal });
  } catch (error) {
    outcome = 'error';
    throw error;
  } finally {
    runtime.metrics.upstreamDuration.observe(
      { provider: route.providerId, model: route.id, outcome },
      (performance.now() - started) / 1000,
    );
  }
}

export async function* streamChat(
  runtime: Runtime,
  route: ModelRoute,
  body: ChatRequest,
  signal: AbortSignal,
): AsyncGenerator<ChatCompletionChunk> {
  const started = performance.now();
  let outcome = 'ok';
  try {
    yield* route.adapter.streamChat({ ...body, model: route.upstreamModel }, { signal });
  } catch (error) {
    outcome = signal.aborted ? 'aborted' : 'error';
    throw error;
  } finally {
    runtime.metrics.upstreamDuration.observe(
      { provider: route.providerId, model: route.id, outcome },
      (performance.now() - started) / 1000,
    );
  }
}

export const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx buffer responses unless told not to; SSE must not be buffered.
  'x-accel-buffering': 'no',
} as const;
