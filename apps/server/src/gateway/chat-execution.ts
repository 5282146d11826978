import {
  type Environment,
  type ResponseCacheStore,
  responseCacheKey,
  type SwitchyardConfig,
  SwitchyardError,
} from '@switchyard/core';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, Usage } from '@switchyard/providers';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../infrastructure/metrics';
import { type ModelAccess, modelAllowed } from './model-list';
import type { ModelRoute } from './model-registry';
import type { Cancellation, Router } from './router';

/** What answering a chat request needs: model access, the router, and the response cache with its settings. */
export interface ChatExecution extends ModelAccess {
  readonly config: { readonly cache: SwitchyardConfig['cache'] };
  readonly metrics: Pick<Metrics, 'cacheLookups'>;
  readonly responseCache: ResponseCacheStore;
  readonly router: Pick<Router, 'complete' | 'stream'>;
}

export function resolveModel(access: ModelAccess, modelId: string, environment: Environment): ModelRoute {
  const route = access.models.resolve(modelId);
  if (!route) {
    throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `The model '${modelId}' does not exist or is not available`, {
      details: { param: 'model' },
    });
  }
  if (!modelAllowed(access, route, environment)) {
    throw new SwitchyardError('SY_ERR_MODEL_NOT_ALLOWED', `The model '${modelId}' is not available in ${environment}`, {
      details: { param: 'model' },
    });
  }
  return route;
}

interface CachedAnswer {
  completion: ChatCompletion;
  deployment: string;
}

interface CachePlan {
  key: string | null;
  read: boolean;
  write: boolean;
  ttlMs: number;
}

/** Only deterministic requests (temperature 0) are cached unless `cache.mode: all`; clients opt out per request. */
function planCache(gateway: ChatExecution, request: FastifyRequest, route: ModelRoute, body: ChatRequest): CachePlan {
  const none: CachePlan = { key: null, read: false, write: false, ttlMs: 0 };
  const config = gateway.config.cache;
  if (!config.enabled) return none;
  const ttlMs = gateway.settings.current().getInteger('cache.ttl_seconds') * 1000;
  if (ttlMs <= 0) return none;
  if (config.mode === 'deterministic' && body.temperature !== 0) return none;
  if (typeof body.n === 'number' && body.n > 1) return none;
  const directives = String(request.headers['cache-control'] ?? '').toLowerCase();
  const environment = request.principal?.environment ?? 'prod';
  return {
    key: responseCacheKey({ environment, model: route.id, request: body }),
    read: !directives.includes('no-cache') && !directives.includes('no-store'),
    write: !directives.includes('no-store'),
    ttlMs,
  };
}

async function readCache(
  gateway: ChatExecution,
  request: FastifyRequest,
  plan: CachePlan,
): Promise<CachedAnswer | null> {
  const environment = request.principal?.environment ?? 'prod';
  if (!plan.key || !plan.read) return null;
  const stored = await gateway.responseCache.get(plan.key);
  gateway.metrics.cacheLookups.inc({ environment, result: stored ? 'hit' : 'miss' });
  if (!stored) return null;
  try {
    return JSON.parse(stored) as CachedAnswer;
  } catch {
    return null;
  }
}

function writeCache(gateway: ChatExecution, request: FastifyRequest, plan: CachePlan, answer: CachedAnswer): void {
  if (!plan.key || !plan.write) return;
  const value = JSON.stringify(answer);
  if (Buffer.byteLength(value) > gateway.config.cache.maxEntryBytes) return;
  gateway.responseCache.set(plan.key, value, plan.ttlMs).catch((error: unknown) => {
    request.log.warn({ err: error }, 'storing a response in the cache failed');
  });
}

function tagResponse(reply: FastifyReply, deployment: string, cache: 'HIT' | 'MISS' | 'BYPASS'): void {
  reply.header('x-switchyard-model', deployment);
  reply.header('x-cache', cache);
}

export interface CompletedChat {
  completion: ChatCompletion;
  deployment: string;
}

/** A non-streamed answer: from the cache, or routed to a deployment (with retries and fallbacks). */
export async function completeChat(
  gateway: ChatExecution,
  request: FastifyRequest,
  reply: FastifyReply,
  route: ModelRoute,
  body: ChatRequest,
  cancel: Cancellation,
): Promise<CompletedChat> {
  const plan = planCache(gateway, request, route, body);
  const cached = await readCache(gateway, request, plan);
  if (cached) {
    tagResponse(reply, cached.deployment, 'HIT');
    return cached;
  }
  const routed = await gateway.router.complete(route, body, cancel);
  const answer = { completion: routed.value, deployment: routed.deployment.id };
  tagResponse(reply, answer.deployment, plan.key ? 'MISS' : 'BYPASS');
  const finish = routed.value.choices[0]?.finish_reason;
  if (finish === 'stop' || finish === 'length') writeCache(gateway, request, plan, answer);
  return answer;
}

/** Replays a cached answer as the chunks a live stream would have sent. */
async function* replay(answer: CachedAnswer): AsyncGenerator<ChatCompletionChunk> {
  const { completion } = answer;
  const choice = completion.choices[0];
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
  };
  yield { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
  const content = typeof choice?.message.content === 'string' ? choice.message.content : '';
  for (const piece of content.match(/\S+\s*|\s+/g) ?? []) {
    yield { ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] };
  }
  yield {
    ...base,
    choices: [{ index: 0, delta: {}, finish_reason: choice?.finish_reason ?? 'stop' }],
    ...(completion.usage ? { usage: completion.usage } : {}),
  };
}

export interface StartedChatStream {
  chunks: AsyncIterable<ChatCompletionChunk>;
  deployment: string;
}

/**
 * A streamed answer. The upstream stream is started (and falls back) before
 * anything is sent, so a failure before the first token is a proper HTTP
 * error; a completed stream is stored in the cache as a whole answer.
 */
export async function startChatStream(
  gateway: ChatExecution,
  request: FastifyRequest,
  reply: FastifyReply,
  route: ModelRoute,
  body: ChatRequest,
  cancel: Cancellation,
): Promise<StartedChatStream> {
  const plan = planCache(gateway, request, route, body);
  const cached = await readCache(gateway, request, plan);
  if (cached) {
    tagResponse(reply, cached.deployment, 'HIT');
    return { chunks: replay(cached), deployment: cached.deployment };
  }
  const routed = await gateway.router.stream(route, body, cancel);
  const deployment = routed.deployment.id;
  tagResponse(reply, deployment, plan.key ? 'MISS' : 'BYPASS');
  const { first, rest, release } = routed.value;

  async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
    let content = '';
    let cacheable = true;
    let finishReason: ChatCompletion['choices'][number]['finish_reason'] = null;
    let usage: Usage | undefined;
    let last: ChatCompletionChunk | null = first;
    const observe = (chunk: ChatCompletionChunk) => {
      last = chunk;
      const choice = chunk.choices[0];
      if (choice?.delta.content) content += choice.delta.content;
      if (choice?.delta.tool_calls) cacheable = false;
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    };
    try {
      if (first) {
        observe(first);
        yield first;
      }
      while (true) {
        const step = await rest.next();
        if (step.done) break;
        observe(step.value);
        yield step.value;
      }
      const final = last as ChatCompletionChunk | null;
      if (cacheable && final && (finishReason === 'stop' || finishReason === 'length')) {
        writeCache(gateway, request, plan, {
          deployment,
          completion: {
            id: final.id,
            object: 'chat.completion',
            created: final.created,
            model: final.model,
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
            ...(usage ? { usage } : {}),
          },
        });
      }
    } finally {
      release();
      await rest.return?.();
    }
  }
  return { chunks: chunks(), deployment };
}
