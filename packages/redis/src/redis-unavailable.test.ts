import { SwitchyardError } from '@switchyard/core';
import { errorOf } from '@switchyard/testkit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisKeyPoolStore } from './redis-key-pool-store';
import { createRedisRateLimiter } from './redis-rate-limiter';
import { createRedisResponseCache } from './redis-response-cache';

// Never connected and no offline queue: every command fails at once, as when Redis is down.
const offline = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false });
afterAll(() => offline.disconnect());

const codeOf = async (operation: Promise<unknown>) => {
  const error = await errorOf(operation);
  expect(error).toBeInstanceOf(SwitchyardError);
  return (error as SwitchyardError).code;
};

describe('redis backends while Redis is unavailable', () => {
  it('response cache: a read is a miss, a write fails as a dependency error', async () => {
    const cache = createRedisResponseCache(offline);
    expect(await cache.get('any')).toBeUndefined();
    expect(await codeOf(cache.set('any', 'value', 1000))).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
  });

  it('rate limiter: every operation fails as a dependency error, never as a rejection or an allowance', async () => {
    const limiter = createRedisRateLimiter(offline);
    expect(await codeOf(limiter.hit('bucket', 10))).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
    expect(await codeOf(limiter.peek('bucket', 10))).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
    expect(await codeOf(limiter.refund('bucket'))).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
  });

  it('key pool store: picking and cooling down fail as dependency errors', async () => {
    const store = createRedisKeyPoolStore(offline);
    expect(await codeOf(store.pick('pool', ['key-a'], 10))).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
    expect(await codeOf(store.coolDown('pool', 'key-a', Date.now() + 1000))).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
  });
});
