import { createRedisResponseCache } from '@switchyard/redis';
import { createTestRedis, describeResponseCacheContract, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { afterAll, describe } from 'vitest';
import { createMemoryResponseCache } from './response-cache';

describeResponseCacheContract(
  'memory',
  async () => {
    const store = createMemoryResponseCache();
    return { first: store, second: store };
  },
  { openBounded: async (maxEntries) => createMemoryResponseCache(maxEntries) },
);

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] Redis response cache contract: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('redis backend', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  describeResponseCacheContract('redis, two connections', async () => {
    const one = await createTestRedis();
    const two = await createTestRedis();
    cleanups.push(one.cleanup, two.cleanup);
    // Both connections use the first one's prefix: one shared cache, as two API processes see it.
    return {
      first: createRedisResponseCache(one.client, one.prefix),
      second: createRedisResponseCache(two.client, one.prefix),
    };
  });
});
