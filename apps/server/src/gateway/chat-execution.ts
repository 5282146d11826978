import {
  type Environment,
  type ResponseCacheStore,
  responseCacheKey,
  type SwitchyardConfig,
  SwitchyardError,
} from '@switchyard/core';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, Usage } from '@switchyard/providers';
import type { Cancellation, ModelRoute, Router } from '@switchyard/routing';
import type { Logger } from 'pino';
import type { Metrics } from '../infrastructure/metrics';
import { type ModelAccess, modelAllowed } from './model-list';

/** What answering a chat request needs: model access, the router, and the response cache with its settings. */
export interface ChatExecution extends ModelAccess {
  readonly config: { readonly cache: SwitchyardConfig['cache'] };
  readonly metrics: Pick<Metrics, 'cacheLookups'>;
  readonly responseCache: ResponseCacheStore;
  readonly router: Pick<Router, 'complete' | 'stream' | 'completeText' | 'streamText'>;
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

/**
 * `n > 1` passes to OpenAI-compatible upstreams, which return that many choices; the other providers
 * (Anthropic, Gemini, Ollama, echo) answer one, so asking them for more is a clear 400 naming the model,
 * for the model and every fallback it may be routed to, rather than a silent single choice.
 */
export function assertChoicesSupported(access: ModelAccess, route: ModelRoute, n: number | null | undefined): void {
  if (n === undefined || n === null || n <= 1) return;
  const routes = [
    route,
    ...route.fallbacks.map((id) => access.models.resolve(id)).filter((entry) => entry !== undefined),
  ];
  for (const candidate of routes) {
    const single = candidate.deployments.find((deployment) => deployment.provider.type !== 'openai-compatible');
    if (single) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `The model '${route.id}' cannot return n=${n} choices: ${
          candidate === route ? 'it' : `its fallback '${candidate.id}'`
        } is served by '${single.provider.id}' (${single.provider.type}), which answers one choice; send n: 1`,
        { details: { param: 'n' } },
      );
    }
  }
}

interface CachedAnswer<Answer = ChatCompletion> {
  completion: Answer;
  deployment: string;
}

export interface CachePlan {
  key: string | null;
  read: boolean;
  write: boolean;
  ttlMs: number;
}

/** The caller's side of one chat request, without the HTTP framework. */
export interface ChatCall {
  readonly environment: Environment;
  /** The request's Cache-Control header: no-cache skips reading the cache, no-store skips both. */
  readonly cacheControl: string | undefined;
  /** Where a failed cache write is reported. */
  readonly log: Pick<Logger, 'warn'>;
}

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

/** Only deterministic requests (temperature 0) are cached unless `cache.mode: all`; clients opt out per request. */
export function planCache(
  gateway: ChatExecution,
  call: ChatCall,
  route: ModelRoute,
  body: Record<string, unknown>,
): CachePlan {
  const none: CachePlan = { key: null, read: false, write: false, ttlMs: 0 };
  const config = gateway.config.cache;
  if (!config.enabled) return none;
  const ttlMs = gateway.settings.current().getInteger('cache.ttl_seconds') * 1000;
  if (ttlMs <= 0) return none;
  if (config.mode === 'deterministic' && body.temperature !== 0) return none;
  if (typeof body.n === 'number' && body.n > 1) return none;
  const directives = (call.cacheControl ?? '').toLowerCase();
  return {
    key: responseCacheKey({ environment: call.environment, model: route.id, request: body }),
    read: !directives.includes('no-cache') && !directives.includes('no-store'),
    write: !directives.includes('no-store'),
    ttlMs,
  };
}

export async function readCache<Answer = ChatCompletion>(
  gateway: ChatExecution,
  call: ChatCall,
  plan: CachePlan,
): Promise<CachedAnswer<Answer> | null> {
  if (!plan.key || !plan.read) return null;
  const stored = await gateway.responseCache.get(plan.key);
  gateway.metrics.cacheLookups.inc({ environment: call.environment, result: stored ? 'hit' : 'miss' });
  if (!stored) return null;
  try {
    return JSON.parse(stored) as CachedAnswer<Answer>;
  } catch {
    return null;
  }
}

export function writeCache<Answer>(
  gateway: ChatExecution,
  call: ChatCall,
  plan: CachePlan,
  answer: CachedAnswer<Answer>,
): void {
  if (!plan.key || !plan.write) return;
  const value = JSON.stringify(answer);
  if (Buffer.byteLength(value) > gateway.config.cache.maxEntryBytes) return;
  gateway.responseCache.set(plan.key, value, plan.ttlMs).catch((error: unknown) => {
    call.log.warn({ err: error }, 'storing a response in the cache failed');
  });
}

export interface CompletedChat {
  completion: ChatCompletion;
  deployment: string;
  cache: CacheStatus;
}

/** A non-streamed answer: from the cache, or routed to a deployment (with retries and fallbacks). */
export async function completeChat(
  gateway: ChatExecution,
  call: ChatCall,
  route: ModelRoute,
  body: ChatRequest,
  cancel: Cancellation,
): Promise<CompletedChat> {
  const plan = planCache(gateway, call, route, body);
  const cached = await readCache(gateway, call, plan);
  if (cached) return { ...cached, cache: 'HIT' };
  const routed = await gateway.router.complete(route, body, cancel, call.log);
  const answer = { completion: routed.value, deployment: routed.deployment.id };
  const finish = routed.value.choices[0]?.finish_reason;
  if (finish === 'stop' || finish === 'length') writeCache(gateway, call, plan, answer);
  return { ...answer, cache: plan.key ? 'MISS' : 'BYPASS' };
}

/** Replays a cached answer as the chunks a live stream would have sent. */
async function* replay(answer: CachedAnswer): AsyncGenerator<ChatCompletionChunk> {
  yield* chunksOfCompletion(answer.completion);
}

/** A whole answer as the chunks a live stream would have sent (role, words, finish with usage). */
export function chunksOfCompletion(completion: ChatCompletion): ChatCompletionChunk[] {
  const chunks: ChatCompletionChunk[] = [];
  const choice = completion.choices[0];
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
  };
  chunks.push({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  const content = typeof choice?.message.content === 'string' ? choice.message.content : '';
  for (const piece of content.match(/\S+\s*|\s+/g) ?? []) {
    chunks.push({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  }
  chunks.push({
    ...base,
    choices: [{ index: 0, delta: {}, finish_reason: choice?.finish_reason ?? 'stop' }],
    ...(completion.usage ? { usage: completion.usage } : {}),
  });
  return chunks;
}

export interface StartedChatStream {
  chunks: AsyncIterable<ChatCompletionChunk>;
  deployment: string;
  cache: CacheStatus;
}

/**
 * A streamed answer. The upstream stream is started (and falls back) before
 * anything is sent, so a failure before the first token is a proper HTTP
 * error; a completed stream is stored in the cache as a whole answer.
 */
export async function startChatStream(
  gateway: ChatExecution,
  call: ChatCall,
  route: ModelRoute,
  body: ChatRequest,
  cancel: Cancellation,
): Promise<StartedChatStream> {
  const plan = planCache(gateway, call, route, body);
  const cached = await readCache(gateway, call, plan);
  if (cached) return { chunks: replay(cached), deployment: cached.deployment, cache: 'HIT' };
  const routed = await gateway.router.stream(route, body, cancel, call.log);
  const deployment = routed.deployment.id;
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
        writeCache(gateway, call, plan, {
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
  return { chunks: chunks(), deployment, cache: plan.key ? 'MISS' : 'BYPASS' };
}
