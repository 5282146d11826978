import { RateLimiterMemory } from 'rate-limiter-flexible';
import { countingCeiling, type RateLimiter, rateLimitWindowMs, wrapFlexibleLimiter } from './rate-limiter';

/** Embedded mode: counters live in this process. */
export function createMemoryRateLimiter(): RateLimiter {
  return wrapFlexibleLimiter(
    'memory',
    new RateLimiterMemory({ points: countingCeiling, duration: rateLimitWindowMs / 1000 }),
  );
}
