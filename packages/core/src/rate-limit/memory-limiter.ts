import { RateLimiterMemory } from 'rate-limiter-flexible';
import { countingCeiling, type RateLimiter, wrapFlexibleLimiter } from './rate-limiter';

/** Embedded mode: counters live in this process. */
export function createMemoryRateLimiter(): RateLimiter {
  return wrapFlexibleLimiter(
    'memory',
    (windowMs) => new RateLimiterMemory({ points: countingCeiling, duration: windowMs / 1000 }),
  );
}
