import { randomBytes } from 'node:crypto';
import { keyWindowOf } from '@switchyard/core';
import { createTestRedis, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisImageQuota } from './redis-image-quota';
import { createRedisKeyPoolStore } from './redis-key-pool-store';
import { createRedisRateLimiter } from './redis-rate-limiter';
import { createRedisResponseCache } from './redis-response-cache';
import { createRedisSessionLog } from './redis-session-log';

/**
 * The default key names are shared state between the versions running side
 * by side during a rolling deploy: a renamed key would split rate-limit
 * counters, key rotation budgets, cached answers and resumable chat sessions
 * in two. These tests write under the defaults, with random names inside.
 */
const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] Redis key names: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('default Redis key names', () => {
  let redis: Awaited<ReturnType<typeof createTestRedis>>;
  const unique = randomBytes(6).toString('hex');
  const written: string[] = [];
  const expectKeys = async (keys: string[]) => {
    written.push(...keys);
    for (const key of keys) expect(await redis.client.exists(key), key).toBe(1);
  };

  beforeAll(async () => {
    redis = await createTestRedis();
  });
  afterAll(async () => {
    if (written.length > 0) await redis.client.del(...written);
    await redis.cleanup();
  });

  it('rate limiter: sy:rl:<bucket>, other windows under sy:rl:w<seconds>', async () => {
    const limiter = createRedisRateLimiter(redis.client);
    await limiter.hit(`bucket-${unique}`, 5);
    await limiter.hit(`bucket-${unique}`, 5, { windowMs: 900_000 });
    await expectKeys([`sy:rl:bucket-${unique}`, `sy:rl:w900:bucket-${unique}`]);
  });

  it('key pool store: sy:kp:<pool>:n:<key>:<window> and sy:kp:<pool>:cd:<key>', async () => {
    const store = createRedisKeyPoolStore(redis.client);
    const now = Date.now();
    await store.pick(`pool-${unique}`, ['key-a'], 10, now);
    await store.coolDown(`pool-${unique}`, 'key-a', now + 60_000, now);
    await expectKeys([`sy:kp:pool-${unique}:n:key-a:${keyWindowOf(now)}`, `sy:kp:pool-${unique}:cd:key-a`]);
  });

  it('image quota: sy:quota:image:<environment>:<day>:<subject>', async () => {
    const decision = await createRedisImageQuota(redis.client).take('dev', `key:${unique}`, 5);
    await expectKeys([`sy:quota:image:dev:${decision.day}:key:${unique}`]);
  });

  it('response cache: sy:cache:<key>', async () => {
    await createRedisResponseCache(redis.client).set(`answer-${unique}`, 'cached', 60_000);
    await expectKeys([`sy:cache:answer-${unique}`]);
  });

  it('session log: switchyard:chat-session:<session>:meta, :events and :stop', async () => {
    const log = createRedisSessionLog(redis.client);
    const sessionId = `cs_${unique}`;
    await log.create(sessionId, { userId: 'user', chatId: 'chat' });
    await log.append(sessionId, 'start', {});
    await log.requestStop(sessionId);
    await expectKeys(['meta', 'events', 'stop'].map((part) => `switchyard:chat-session:${sessionId}:${part}`));
  });
});
