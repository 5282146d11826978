import { createRedisSessionLog } from '@switchyard/redis';
import { createTestRedis, describeSessionLogContract, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { afterAll, describe } from 'vitest';
import { createMemorySessionLog, type SessionLog } from './session-log';

const memoryLogs: SessionLog[] = [];
afterAll(() => {
  for (const log of memoryLogs) log.close();
});

describeSessionLogContract('memory', async (options) => {
  const log = createMemorySessionLog(options);
  memoryLogs.push(log);
  return { first: log, second: log };
});

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] Redis session log contract: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('redis backend', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  describeSessionLogContract('redis, two connections', async (options) => {
    const one = await createTestRedis();
    const two = await createTestRedis();
    cleanups.push(one.cleanup, two.cleanup);
    // Both connections use the first one's prefix: one shared log, as two API processes see it.
    return {
      first: createRedisSessionLog(one.client, { keyPrefix: one.prefix, ...options }),
      second: createRedisSessionLog(two.client, { keyPrefix: one.prefix, ...options }),
    };
  });
});
