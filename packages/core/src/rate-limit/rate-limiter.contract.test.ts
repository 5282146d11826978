import { createRedisRateLimiter } from '@switchyard/redis';
import { createTestRedis, describeRateLimiterContract, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { afterAll, describe } from 'vitest';
import { createMemoryRateLimiter } from './memory-limiter';

describeRateLimiterContract('memory', async () => createMemoryRateLimiter());

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] Redis rate limiter contract: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('redis backend', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  describeRateLimiterContract('redis', async () => {
    const redis = await createTestRedis();
    cleanups.push(redis.cleanup);
    return createRedisRateLimiter(redis.client, redis.prefix);
  });
});
