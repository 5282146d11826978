import { createRedisRateLimiter } from '@switchyard/redis';
import { createTestRedis, describeRateLimiterContract, redisAvailable } from '@switchyard/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createBatchedRateLimiter, reservationSize } from './batched-limiter';
import { createMemoryRateLimiter } from './memory-limiter';
import type { RateLimiter } from './rate-limiter';

/** A shared store (one memory limiter) that counts the round trips made to it. */
function countingStore(): { store: RateLimiter; calls: () => number } {
  const inner = createMemoryRateLimiter();
  let calls = 0;
  const store: RateLimiter = {
    backend: inner.backend,
    hit: (...args) => {
      calls += 1;
      return inner.hit(...args);
    },
    peek: (...args) => inner.peek(...args),
    refund: (...args) => inner.refund(...args),
    reserve: (...args) => {
      calls += 1;
      // biome-ignore lint/style/noNonNullAssertion: the memory limiter has reserve
      return inner.reserve!(...args);
    },
  };
  return { store, calls: () => calls };
}

describeRateLimiterContract('batched over memory', async () => createBatchedRateLimiter(createMemoryRateLimiter()));

describe('batched rate limiter', () => {
  it('reserves up to 64 hits, at most 1/16 of the limit, none below 32', () => {
    expect(reservationSize(15)).toBe(1);
    expect(reservationSize(31)).toBe(1);
    expect(reservationSize(32)).toBe(2);
    expect(reservationSize(100)).toBe(6);
    expect(reservationSize(10_000_000)).toBe(64);
  });

  it('is exact for one process: allows exactly the limit, remaining counts down by one', async () => {
    const { store, calls } = countingStore();
    const limiter = createBatchedRateLimiter(store);
    const remaining: number[] = [];
    for (let index = 0; index < 100; index += 1) {
      const decision = await limiter.hit('one', 100);
      expect(decision.allowed).toBe(true);
      remaining.push(decision.remaining);
    }
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, index) => 99 - index));
    expect(await limiter.hit('one', 100)).toMatchObject({ allowed: false, remaining: 0 });
    // 100 hits in reservations of 6: 17 round trips instead of 100.
    expect(calls()).toBeLessThanOrEqual(18);
  });

  it('asks the store once per 64 hits for a large limit, also under concurrency', async () => {
    const { store, calls } = countingStore();
    const limiter = createBatchedRateLimiter(store);
    const decisions = await Promise.all(Array.from({ length: 640 }, () => limiter.hit('many', 10_000_000)));
    expect(decisions.every((decision) => decision.allowed)).toBe(true);
    expect(calls()).toBe(10);
  });

  it('never lets processes sharing a store exceed the limit, and refuses at most limit/16 early per process', async () => {
    const { store } = countingStore();
    const processes = [
      createBatchedRateLimiter(store),
      createBatchedRateLimiter(store),
      createBatchedRateLimiter(store),
    ];
    const limit = 320;
    let allowed = 0;
    for (let index = 0; index < 1000; index += 1) {
      const process = processes[index % processes.length] as RateLimiter;
      if ((await process.hit('shared', limit)).allowed) allowed += 1;
    }
    expect(allowed).toBeLessThanOrEqual(limit);
    expect(allowed).toBeGreaterThanOrEqual(limit - processes.length * (reservationSize(limit) - 1));
  });

  it('gives a refunded hit back locally and counts unused reservations in peek', async () => {
    const limiter = createBatchedRateLimiter(createMemoryRateLimiter());
    await limiter.hit('refund', 64);
    await limiter.hit('refund', 64);
    expect(await limiter.peek('refund', 64)).toMatchObject({ remaining: 62 });
    await limiter.refund('refund');
    expect(await limiter.peek('refund', 64)).toMatchObject({ remaining: 63 });
    expect((await limiter.hit('refund', 64)).remaining).toBe(62);
  });
});

const hasRedis = await redisAvailable();
describe.skipIf(!hasRedis)('batched over redis', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  describeRateLimiterContract('batched over redis', async () => {
    const redis = await createTestRedis();
    cleanups.push(redis.cleanup);
    return createBatchedRateLimiter(createRedisRateLimiter(redis.client, redis.prefix));
  });
});
