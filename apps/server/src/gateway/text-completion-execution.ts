import { SwitchyardError } from '@switchyard/core';
import {
  promptsOf,
  type TextCompletion,
  type TextCompletionChunk,
  type TextCompletionRequest,
  textCompletionSupport,
} from '@switchyard/providers';
import type { Cancellation, ModelRoute } from '@switchyard/routing';
import {
  type CacheStatus,
  type ChatCall,
  type ChatExecution,
  planCache,
  readCache,
  writeCache,
} from './chat-execution';
import type { ModelAccess } from './model-list';

/** The fields that only some providers can honour, each with what it needs of a provider. */
const features = [
  { param: 'echo', needs: 'echo', asked: (body: TextCompletionRequest) => body.echo === true },
  { param: 'suffix', needs: 'suffix', asked: (body: TextCompletionRequest) => body.suffix !== undefined },
  { param: 'logprobs', needs: 'logprobs', asked: (body: TextCompletionRequest) => body.logprobs !== undefined },
  { param: 'n', needs: 'choices', asked: (body: TextCompletionRequest) => typeof body.n === 'number' && body.n > 1 },
  {
    param: 'best_of',
    needs: 'choices',
    asked: (body: TextCompletionRequest) => typeof body.best_of === 'number' && body.best_of > 1,
  },
] as const;

/**
 * A completions request the model (or a fallback it may be routed to) cannot honour is a 400 naming
 * the model, the field and the provider before anything is sent, rather than a silently different answer:
 * `echo`, `logprobs` and several choices need an OpenAI-compatible provider, `suffix` that or Ollama.
 */
export function assertTextCompletionSupported(
  access: ModelAccess,
  route: ModelRoute,
  body: TextCompletionRequest,
): void {
  if (route.kind !== 'chat') {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `The model '${route.id}' is a ${route.kind} model; /v1/completions takes a chat model`,
      { details: { param: 'model' } },
    );
  }
  const asked = features.filter((feature) => feature.asked(body));
  if (asked.length === 0) return;
  const routes = [
    route,
    ...route.fallbacks.map((id) => access.models.resolve(id)).filter((entry) => entry !== undefined),
  ];
  for (const feature of asked) {
    for (const candidate of routes) {
      const lacking = candidate.deployments.find(
        (deployment) => !textCompletionSupport(deployment.provider.type)[feature.needs],
      );
      if (!lacking) continue;
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `The model '${route.id}' cannot take '${feature.param}' on /v1/completions: ${
          candidate === route ? 'it' : `its fallback '${candidate.id}'`
        } is served by '${lacking.provider.id}' (${lacking.provider.type}), which ${
          textCompletionSupport(lacking.provider.type).native ? 'does not support it' : 'has no completions endpoint'
        }; leave it out`,
        { details: { param: feature.param } },
      );
    }
  }
}

/** What the cache key is made of: the chat fields it shares, and the prompts and completion-only fields. */
function cacheMaterial(body: TextCompletionRequest): Record<string, unknown> {
  return {
    ...body,
    messages: ['text_completion', promptsOf(body), body.suffix ?? null, body.echo ?? null, body.logprobs ?? null],
  };
}

export interface CompletedText {
  completion: TextCompletion;
  deployment: string;
  cache: CacheStatus;
}

/** A non-streamed completion: from the response cache (same rules as chat), or routed. */
export async function completeText(
  gateway: ChatExecution,
  call: ChatCall,
  route: ModelRoute,
  body: TextCompletionRequest,
  cancel: Cancellation,
): Promise<CompletedText> {
  const plan = planCache(gateway, call, route, cacheMaterial(body));
  const cached = await readCache<TextCompletion>(gateway, call, plan);
  if (cached) return { ...cached, cache: 'HIT' };
  const routed = await gateway.router.completeText(route, body, cancel, call.log);
  const answer = { completion: routed.value, deployment: routed.deployment.id };
  const finished = routed.value.choices.every(
    (choice) => choice.finish_reason === 'stop' || choice.finish_reason === 'length',
  );
  if (finished) writeCache(gateway, call, plan, answer);
  return { ...answer, cache: plan.key ? 'MISS' : 'BYPASS' };
}

export interface StartedTextStream {
  chunks: AsyncIterable<TextCompletionChunk>;
  deployment: string;
}

/** A streamed completion, started (and fallen back) before anything is sent; streams are not cached. */
export async function startTextStream(
  gateway: ChatExecution,
  route: ModelRoute,
  body: TextCompletionRequest,
  cancel: Cancellation,
  /** The request's logger: failed attempts are logged with its request id. */
  log?: ChatCall['log'],
): Promise<StartedTextStream> {
  const routed = await gateway.router.streamText(route, body, cancel, log);
  const { first, rest, release } = routed.value;
  async function* chunks(): AsyncGenerator<TextCompletionChunk> {
    try {
      if (first) yield first;
      while (true) {
        const step = await rest.next();
        if (step.done) break;
        yield step.value;
      }
    } finally {
      release();
      await rest.return?.();
    }
  }
  return { chunks: chunks(), deployment: routed.deployment.id };
}
