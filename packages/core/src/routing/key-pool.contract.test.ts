import { randomBytes } from 'node:crypto';
import { createRedisKeyPoolStore } from '@switchyard/redis';
import { createTestRedis, describeKeyPoolContract, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { afterAll, describe } from 'vitest';
import { createMemoryKeyPoolStore } from './key-pool';

describeKeyPoolContract('memory', async () => {
  const store = createMemoryKeyPoolStore();
  return { first: store, second: store, poolId: randomBytes(4).toString('hex') };
});

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] Redis key pool contract: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('redis backend', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  describeKeyPoolContract('redis, two connections', async () => {
    const one = await createTestRedis();
    const two = await createTestRedis();
    cleanups.push(one.cleanup, two.cleanup);
    return {
      first: createRedisKeyPoolStore(one.client, one.prefix),
      second: createRedisKeyPoolStore(two.client, one.prefix),
      poolId: 'gemini',
    };
  });
});
