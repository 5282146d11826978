import {
  createInFlightTracker,
  isSwitchyardError,
  type KeyPoolStore,
  orderDeployments,
  type RoutingConfig,
  runWithFallbacks,
  SwitchyardError,
  sleep,
} from '@switchyard/core';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModerationRequest,
  ModerationResponse,
  ProviderAdapter,
  TextCompletion,
  TextCompletionChunk,
  TextCompletionRequest,
} from '@switchyard/providers';
import { completeTextWith, streamTextWith } from '@switchyard/providers';
import type { Deployment, ModelRegistry, ModelRoute, ProviderRuntime } from './model-registry';
import type { RoutingLogger, RoutingMetrics } from './observer';

export interface Routed<T> {
  value: T;
  deployment: Deployment;
  attempts: number;
}

export interface StartedStream<Chunk = ChatCompletionChunk> {
  /** The first chunk, already received: a stream that fails before it falls back like any other failure. */
  first: Chunk | null;
  rest: AsyncIterator<Chunk>;
  /** Ends the least-busy in-flight count; call when the stream is over. */
  release(): void;
}

/**
 * What cancels a routed call: a signal, or the caller's own controller, which
 * is then used for the attempts as it is (one AbortSignal less per request).
 */
export type Cancellation = AbortSignal | AbortController;

/** Where a call's failed attempts and key cooldowns are logged (the request's logger, or the router's). */
export type AttemptLog = Pick<RoutingLogger, 'warn'>;

/**
 * Every routed call takes an optional `log`: the logger of the request it is made for (Fastify's
 * `request.log`, which binds the request id as `reqId`), so its failed attempts and key cooldowns are
 * logged with that id; without it, the router's own logger.
 */
export interface Router {
  /** The deployments tried, in order: the model's own (balanced), then each fallback model's. */
  candidates(route: ModelRoute): Deployment[];
  complete(
    route: ModelRoute,
    request: ChatRequest,
    cancel: Cancellation,
    log?: AttemptLog,
  ): Promise<Routed<ChatCompletion>>;
  stream(
    route: ModelRoute,
    request: ChatRequest,
    cancel: Cancellation,
    log?: AttemptLog,
  ): Promise<Routed<StartedStream>>;
  embed(
    route: ModelRoute,
    request: EmbeddingsRequest,
    cancel: Cancellation,
    log?: AttemptLog,
  ): Promise<Routed<EmbeddingsResponse>>;
  /** Legacy text completions: the provider's own endpoint, or one chat turn per prompt (see text-completion.ts). */
  completeText(
    route: ModelRoute,
    request: TextCompletionRequest,
    cancel: Cancellation,
    log?: AttemptLog,
  ): Promise<Routed<TextCompletion>>;
  streamText(
    route: ModelRoute,
    request: TextCompletionRequest,
    cancel: Cancellation,
    log?: AttemptLog,
  ): Promise<Routed<StartedStream<TextCompletionChunk>>>;
  moderate(
    route: ModelRoute,
    request: ModerationRequest,
    cancel: Cancellation,
    log?: AttemptLog,
  ): Promise<Routed<ModerationResponse>>;
}

export interface RouterDependencies {
  models: ModelRegistry;
  keyPools: KeyPoolStore;
  policy: RoutingConfig;
  metrics: RoutingMetrics;
  logger: RoutingLogger;
}

const isUpstreamRateLimit = (error: unknown): error is SwitchyardError =>
  isSwitchyardError(error) && error.code === 'SY_ERR_UPSTREAM_RATE_LIMITED' && error.details?.keyPool !== true;

/**
 * Routing for every upstream call: balanced deployments, then fallback models;
 * retries with back-off within a deadline; multi-key rotation with per-key
 * budgets and cooldowns. The adapters know nothing of it.
 */
export function createRouter(dependencies: RouterDependencies): Router {
  const { models, keyPools, policy, metrics, logger } = dependencies;
  const inFlight = createInFlightTracker();

  function candidates(route: ModelRoute): Deployment[] {
    const ordered = orderDeployments(route.deployments, route.strategy, inFlight.count);
    const seen = new Set(ordered.map((deployment) => deployment.id));
    for (const fallbackId of route.fallbacks) {
      const fallback = models.resolve(fallbackId);
      if (!fallback) continue;
      for (const deployment of orderDeployments(fallback.deployments, fallback.strategy, inFlight.count)) {
        if (seen.has(deployment.id)) continue;
        seen.add(deployment.id);
        ordered.push(deployment);
      }
    }
    return ordered;
  }

  /** Runs `call` with one of the provider's keys, rotating away from keys the upstream rate-limits. */
  async function withKey<T>(
    provider: ProviderRuntime,
    signal: AbortSignal,
    call: (adapter: ProviderAdapter) => Promise<T>,
    log: AttemptLog,
  ): Promise<T> {
    const only = provider.adapters[0];
    if (provider.keyIds.length === 0 && only) return call(only);
    for (let tries = 0; tries <= provider.keyIds.length; tries += 1) {
      const pick = await keyPools.pick(provider.id, provider.keyIds, provider.keyRpm);
      if (!pick.ok) {
        if (provider.onKeysExhausted === 'wait' && pick.waitMs < policy.deadlineMs) {
          await sleep(pick.waitMs, signal);
          tries -= 1;
          continue;
        }
        throw new SwitchyardError(
          'SY_ERR_UPSTREAM_RATE_LIMITED',
          `Every key of provider ${provider.id} is at its budget or cooling down`,
          { retryAfterSeconds: Math.ceil(pick.waitMs / 1000), details: { keyPool: true, provider: provider.id } },
        );
      }
      const adapter = provider.adapters[pick.lease.index];
      const keyId = provider.keyIds[pick.lease.index];
      if (!adapter || !keyId) break;
      try {
        return await call(adapter);
      } catch (error) {
        if (!isUpstreamRateLimit(error)) throw error;
        const coolMs = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : provider.keyCooldownMs;
        await keyPools.coolDown(provider.id, keyId, Date.now() + coolMs);
        metrics.keyCooldowns.inc({ provider: provider.id });
        log.warn({ provider: provider.id, key: pick.lease.index, coolMs }, 'upstream key rate-limited; cooling down');
      }
    }
    throw new SwitchyardError('SY_ERR_UPSTREAM_RATE_LIMITED', `Every key of provider ${provider.id} was rate-limited`, {
      retryAfterSeconds: Math.ceil(provider.keyCooldownMs / 1000),
      details: { keyPool: true, provider: provider.id },
    });
  }

  async function route<T>(
    modelRoute: ModelRoute,
    cancel: Cancellation,
    attempt: (adapter: ProviderAdapter, deployment: Deployment, attemptSignal: AbortSignal) => Promise<T>,
    keepInFlight = false,
    log: AttemptLog = logger,
  ): Promise<Routed<T> & { release: () => void }> {
    const list = candidates(modelRoute);
    const signal = cancel instanceof AbortController ? cancel.signal : cancel;
    let release = () => {};
    const result = await runWithFallbacks(
      list,
      async (deployment, attemptSignal) => {
        const started = performance.now();
        const done = inFlight.start(deployment.id);
        let outcome = 'ok';
        try {
          const value = await withKey(
            deployment.provider,
            attemptSignal,
            (adapter) => attempt(adapter, deployment, attemptSignal),
            log,
          );
          if (keepInFlight) release = done;
          return value;
        } catch (error) {
          outcome = signal.aborted ? 'aborted' : isSwitchyardError(error) ? error.code : 'error';
          throw error;
        } finally {
          if (!keepInFlight || outcome !== 'ok') done();
          metrics.upstreamDuration.observe(
            { provider: deployment.provider.id, model: modelRoute.id, outcome },
            (performance.now() - started) / 1000,
          );
        }
      },
      policy,
      {
        ...(cancel instanceof AbortController ? { controller: cancel } : { signal: cancel }),
        onFailure: ({ candidate, error }) => {
          metrics.upstreamFailures.inc({
            provider: candidate.provider.id,
            model: modelRoute.id,
            code: isSwitchyardError(error) ? error.code : 'unknown',
          });
          log.warn(
            { deployment: candidate.id, model: modelRoute.id, code: isSwitchyardError(error) ? error.code : undefined },
            'upstream attempt failed',
          );
        },
      },
    );
    if (result.candidate !== list[0]) metrics.fallbacks.inc({ model: modelRoute.id, deployment: result.candidate.id });
    return { value: result.value, deployment: result.candidate, attempts: result.attempts, release };
  }

  /** A stream whose first chunk has arrived, so a failure before it falls back like any other. */
  async function startStream<Chunk>(
    modelRoute: ModelRoute,
    cancel: Cancellation,
    open: (adapter: ProviderAdapter, target: Deployment, signal: AbortSignal) => AsyncIterable<Chunk>,
    log: AttemptLog | undefined,
  ): Promise<Routed<StartedStream<Chunk>>> {
    const routed = await route(
      modelRoute,
      cancel,
      async (adapter, target, attemptSignal) => {
        const iterator = open(adapter, target, attemptSignal)[Symbol.asyncIterator]();
        const first = await iterator.next();
        return { first: first.done ? null : first.value, rest: iterator };
      },
      true,
      log,
    );
    return {
      value: { ...routed.value, release: routed.release },
      deployment: routed.deployment,
      attempts: routed.attempts,
    };
  }

  return {
    candidates,
    async complete(modelRoute, request, cancel, log) {
      const { value, deployment, attempts } = await route(
        modelRoute,
        cancel,
        (adapter, target, attemptSignal) =>
          adapter.chat({ ...request, model: target.upstreamModel }, { signal: attemptSignal }),
        false,
        log,
      );
      return { value, deployment, attempts };
    },
    stream(modelRoute, request, cancel, log) {
      return startStream(
        modelRoute,
        cancel,
        (adapter, target, signal) => adapter.streamChat({ ...request, model: target.upstreamModel }, { signal }),
        log,
      );
    },
    async completeText(modelRoute, request, cancel, log) {
      const { value, deployment, attempts } = await route(
        modelRoute,
        cancel,
        (adapter, target, attemptSignal) =>
          completeTextWith(adapter, { ...request, model: target.upstreamModel }, { signal: attemptSignal }),
        false,
        log,
      );
      return { value, deployment, attempts };
    },
    streamText(modelRoute, request, cancel, log) {
      return startStream(
        modelRoute,
        cancel,
        (adapter, target, signal) => streamTextWith(adapter, { ...request, model: target.upstreamModel }, { signal }),
        log,
      );
    },
    async moderate(modelRoute, request, cancel, log) {
      const { value, deployment, attempts } = await route(
        modelRoute,
        cancel,
        (adapter, target, attemptSignal) => {
          if (!adapter.moderate) {
            throw new SwitchyardError(
              'SY_ERR_UPSTREAM_BAD_REQUEST',
              `Provider ${target.provider.id} has no moderations`,
            );
          }
          return adapter.moderate({ ...request, model: target.upstreamModel }, { signal: attemptSignal });
        },
        false,
        log,
      );
      return { value, deployment, attempts };
    },
    async embed(modelRoute, request, cancel, log) {
      const { value, deployment, attempts } = await route(
        modelRoute,
        cancel,
        (adapter, target, attemptSignal) => {
          if (!adapter.embed) {
            throw new SwitchyardError(
              'SY_ERR_UPSTREAM_BAD_REQUEST',
              `Provider ${target.provider.id} has no embeddings`,
            );
          }
          return adapter.embed({ ...request, model: target.upstreamModel }, { signal: attemptSignal });
        },
        false,
        log,
      );
      return { value, deployment, attempts };
    },
  };
}
