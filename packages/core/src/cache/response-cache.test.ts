import { createRedisResponseCache } from '@switchyard/redis';
import { createTestRedis, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryResponseCache, type ResponseCacheStore, responseCacheKey } from './response-cache';

function describeResponseCache(name: string, open: () => Promise<ResponseCacheStore>) {
  describe(`response cache store: ${name}`, () => {
    it('stores, returns and expires entries', async () => {
      const store = await open();
      await store.set('a', 'value-a', 200);
      expect(await store.get('a')).toBe('value-a');
      expect(await store.get('missing')).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await store.get('a')).toBeUndefined();
    });

    it('ignores a TTL of zero', async () => {
      const store = await open();
      await store.set('zero', 'x', 0);
      expect(await store.get('zero')).toBeUndefined();
    });
  });
}

describeResponseCache('memory', async () => createMemoryResponseCache());

describe('memory LRU bound', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const store = createMemoryResponseCache(2);
    await store.set('one', '1', 60_000);
    await store.set('two', '2', 60_000);
    await store.get('one');
    await store.set('three', '3', 60_000);
    expect(await store.get('two')).toBeUndefined();
    expect(await store.get('one')).toBe('1');
    expect(await store.get('three')).toBe('3');
  });
});

describe('cache keys', () => {
  const request = { messages: [{ role: 'user', content: 'hi' }], temperature: 0 };
  it('differ by environment, model and answer-changing parameters, not by irrelevant fields', () => {
    const base = responseCacheKey({ environment: 'prod', model: 'm', request });
    expect(responseCacheKey({ environment: 'dev', model: 'm', request })).not.toBe(base);
    expect(responseCacheKey({ environment: 'prod', model: 'other', request })).not.toBe(base);
    expect(responseCacheKey({ environment: 'prod', model: 'm', request: { ...request, max_tokens: 5 } })).not.toBe(
      base,
    );
    expect(responseCacheKey({ environment: 'prod', model: 'm', request: { ...request, user: 'someone' } })).toBe(base);
  });
});

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] Redis response cache: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('redis backend', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  describeResponseCache('redis', async () => {
    const redis = await createTestRedis();
    cleanups.push(redis.cleanup);
    return createRedisResponseCache(redis.client, redis.prefix);
  });
});
