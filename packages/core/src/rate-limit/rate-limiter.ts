import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { SwitchyardError } from '../errors';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the current window ends and the bucket is empty again. */
  resetMs: number;
}

/**
 * Fixed one-minute windows counted per bucket. The limit is passed on every
 * call, not fixed at construction, so an admin's change to a setting applies
 * to the next request without resetting anyone's counter.
 */
export interface RateLimiter {
  readonly backend: 'memory' | 'redis';
  hit(bucket: string, limit: number): Promise<RateLimitDecision>;
  peek(bucket: string, limit: number): Promise<RateLimitDecision>;
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

/** Wraps one rate-limiter-flexible limiter (memory or Redis) in our interface. */
export function wrapFlexibleLimiter(backend: RateLimiter['backend'], limiter: RateLimiterAbstract): RateLimiter {
  const unavailable = (cause: unknown) =>
    new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The rate limiter store is unavailable', { cause });
  return {
    backend,
    async hit(bucket, limit) {
      try {
        const result = await limiter.consume(bucket, 1);
        return decide(result.consumedPoints, result.msBeforeNext, limit);
      } catch (error) {
        // With the ceiling this high a rejection can only be a store failure, never "too many".
        if (isLimiterResult(error)) return decide(error.consumedPoints, error.msBeforeNext, limit);
        throw unavailable(error);
      }
    },
    async peek(bucket, limit) {
      try {
        const result = await limiter.get(bucket);
        if (!result) return decide(0, rateLimitWindowMs, limit);
        return decide(result.consumedPoints, result.msBeforeNext, limit);
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}
