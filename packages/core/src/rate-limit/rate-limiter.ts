import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { SwitchyardError } from '../errors';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the current window ends and the bucket is empty again. */
  resetMs: number;
}

export interface RateLimitWindowOptions {
  /** Length of the fixed window; default `rateLimitWindowMs` (one minute). */
  windowMs?: number;
}

/**
 * Fixed windows (one minute unless a call names another length) counted per
 * bucket. The limit is passed on every call, not fixed at construction, so an
 * admin's change to a setting applies to the next request without resetting
 * anyone's counter. A bucket counted in one window length is independent of
 * the same name counted in another.
 */
export interface RateLimiter {
  readonly backend: 'memory' | 'redis';
  hit(bucket: string, limit: number, options?: RateLimitWindowOptions): Promise<RateLimitDecision>;
  peek(bucket: string, limit: number, options?: RateLimitWindowOptions): Promise<RateLimitDecision>;
  /** Gives one hit back, e.g. after a sign-in attempt that succeeded and should not count as a failure. */
  refund(bucket: string, options?: RateLimitWindowOptions): Promise<void>;
  /**
   * Counts `points` hits at once and says how many the bucket holds now
   * (these included) and when its window ends. For local reservations
   * (see createBatchedRateLimiter); optional for other backends.
   */
  reserve?(
    bucket: string,
    points: number,
    options?: RateLimitWindowOptions,
  ): Promise<{ consumed: number; resetMs: number }>;
}

export const rateLimitWindowMs = 60_000;

/** Counting ceiling handed to rate-limiter-flexible; our own limit comparison decides. */
export const countingCeiling = Number.MAX_SAFE_INTEGER;

function decide(consumed: number, msBeforeNext: number, limit: number): RateLimitDecision {
  return {
    allowed: consumed <= limit,
    limit,
    remaining: Math.max(0, limit - consumed),
    resetMs: Math.max(0, msBeforeNext),
  };
}

function isLimiterResult(value: unknown): value is RateLimiterRes {
  return typeof value === 'object' && value !== null && 'consumedPoints' in value && 'msBeforeNext' in value;
}

/**
 * Wraps rate-limiter-flexible limiters (memory or Redis) in our interface.
 * rate-limiter-flexible fixes the window length per instance, so one instance
 * is made per window length on first use.
 */
export function wrapFlexibleLimiter(
  backend: RateLimiter['backend'],
  createForWindow: (windowMs: number) => RateLimiterAbstract,
): RateLimiter {
  const unavailable = (cause: unknown) =>
    new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The rate limiter store is unavailable', { cause });
  const limiters = new Map<number, RateLimiterAbstract>();
  const limiterFor = (options: RateLimitWindowOptions | undefined) => {
    const windowMs = options?.windowMs ?? rateLimitWindowMs;
    if (!Number.isInteger(windowMs) || windowMs < 1000 || windowMs % 1000 !== 0) {
      throw new SwitchyardError('SY_ERR_INTERNAL', `A rate limit window must be whole seconds, got ${windowMs} ms`);
    }
    let limiter = limiters.get(windowMs);
    if (!limiter) {
      limiter = createForWindow(windowMs);
      limiters.set(windowMs, limiter);
    }
    return { limiter, windowMs };
  };
  return {
    backend,
    async hit(bucket, limit, options) {
      const { limiter } = limiterFor(options);
      try {
        const result = await limiter.consume(bucket, 1);
        return decide(result.consumedPoints, result.msBeforeNext, limit);
      } catch (error) {
        // With the ceiling this high a rejection can only be a store failure, never "too many".
        if (isLimiterResult(error)) return decide(error.consumedPoints, error.msBeforeNext, limit);
        throw unavailable(error);
      }
    },
    async reserve(bucket, points, options) {
      const { limiter } = limiterFor(options);
      try {
        const result = await limiter.consume(bucket, points);
        return { consumed: result.consumedPoints, resetMs: Math.max(0, result.msBeforeNext) };
      } catch (error) {
        if (isLimiterResult(error)) return { consumed: error.consumedPoints, resetMs: Math.max(0, error.msBeforeNext) };
        throw unavailable(error);
      }
    },
    async peek(bucket, limit, options) {
      const { limiter, windowMs } = limiterFor(options);
      try {
        const result = await limiter.get(bucket);
        if (!result) return decide(0, windowMs, limit);
        return decide(result.consumedPoints, result.msBeforeNext, limit);
      } catch (error) {
        throw unavailable(error);
      }
    },
    async refund(bucket, options) {
      const { limiter } = limiterFor(options);
      try {
        const result = await limiter.get(bucket);
        // Nothing counted (or the window already ended): there is nothing to give back.
        if (!result || result.consumedPoints <= 0) return;
        await limiter.reward(bucket, 1);
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}
