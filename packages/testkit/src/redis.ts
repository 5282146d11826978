import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * The test Redis: TEST_REDIS_URL (default redis://127.0.0.1:6379). Test files run in parallel
 * workers, and servers started by different files must not share queues, counters or caches, so
 * each worker gets a logical database of its own (1–15, by VITEST_POOL_ID) unless the URL names one.
 */
export function testRedisUrl(): string {
  const url = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const pool = Number(process.env.VITEST_POOL_ID);
  if ((url.pathname === '' || url.pathname === '/') && Number.isInteger(pool) && pool > 0) {
    url.pathname = `/${((pool - 1) % 15) + 1}`;
  }
  return url.toString();
}

/** Answers whether the test Redis server is reachable, within two seconds. */
export async function redisAvailable(url = testRedisUrl()): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A Redis client plus a key prefix unique to this test run, and a cleanup that deletes its keys. */
export async function createTestRedis(): Promise<{
  client: Redis;
  url: string;
  prefix: string;
  cleanup(): Promise<void>;
}> {
  const url = testRedisUrl();
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  await client.ping();
  const prefix = `sy-test-${randomBytes(6).toString('hex')}`;
  return {
    client,
    url,
    prefix,
    async cleanup() {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    },
  };
}
