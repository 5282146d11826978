import { countingCeiling, type RateLimiter, rateLimitWindowMs, wrapFlexibleLimiter } from '@switchyard/core';
import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

/** Server mode: one atomic counter per bucket in Redis, shared by every API process. */
export function createRedisRateLimiter(client: Redis, keyPrefix = 'sy:rl'): RateLimiter {
  return wrapFlexibleLimiter(
    'redis',
    (windowMs) =>
      new RateLimiterRedis({
        storeClient: client,
        points: countingCeiling,
        duration: windowMs / 1000,
        // The one-minute window keeps its original key names; other lengths get their own namespace.
        keyPrefix: windowMs === rateLimitWindowMs ? keyPrefix : `${keyPrefix}:w${windowMs / 1000}`,
        rejectIfRedisNotReady: true,
      }),
  );
}
