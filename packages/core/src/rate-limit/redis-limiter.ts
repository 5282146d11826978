import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { countingCeiling, type RateLimiter, rateLimitWindowMs, wrapFlexibleLimiter } from './rate-limiter';

/** Server mode: one atomic counter per bucket in Redis, shared by every API process. */
export function createRedisRateLimiter(client: Redis, keyPrefix = 'sy:rl'): RateLimiter {
  return wrapFlexibleLimiter(
    'redis',
    new RateLimiterRedis({
      storeClient: client,
      points: countingCeiling,
      duration: rateLimitWindowMs / 1000,
      keyPrefix,
      rejectIfRedisNotReady: true,
    }),
  );
}
