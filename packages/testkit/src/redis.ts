import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const testRedisUrl = (): string => process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

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
