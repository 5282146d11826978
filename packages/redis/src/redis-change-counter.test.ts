import { SwitchyardError } from '@switchyard/core';
import { errorOf } from '@switchyard/testkit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createRedisChangeCounter } from './redis-change-counter';

const url = process.env.TEST_REDIS_URL;
const prefix = `test:change-counter:${process.pid}:${Date.now()}`;

describe.skipIf(!url)('redis change counter', () => {
  const client = new Redis(url ?? '');
  afterAll(async () => {
    await client.del(`${prefix}:keys`, `${prefix}:plans`);
    client.disconnect();
  });

  it('reads asked in one turn share one MGET for every counter of the client, and see each bump resolved before', async () => {
    const keys = createRedisChangeCounter(client, `${prefix}:keys`);
    const plans = createRedisChangeCounter(client, `${prefix}:plans`);
    expect(await keys.bump()).toBe(1);
    const mget = vi.spyOn(client, 'mget');
    const get = vi.spyOn(client, 'get');
    const reads = [keys.read(), plans.read(), keys.read(), plans.read()];
    expect(await Promise.all(reads)).toEqual([1, 0, 1, 0]);
    expect(mget).toHaveBeenCalledTimes(1);
    expect(get).not.toHaveBeenCalled();
    // The next turn reads again: a bump resolved in between is seen.
    expect(await plans.bump()).toBe(1);
    expect(await Promise.all([keys.read(), plans.read()])).toEqual([1, 1]);
    expect(mget).toHaveBeenCalledTimes(2);
    mget.mockRestore();
    get.mockRestore();
  });

  it('reads asked while an MGET is on its way wait for its answer and share the next one, sent after them', async () => {
    const keys = createRedisChangeCounter(client, `${prefix}:keys`);
    const before = await keys.read();
    const original = client.mget.bind(client) as (keys: string[]) => Promise<Array<string | null>>;
    let release!: () => void;
    const held = new Promise<void>((settle) => {
      release = settle;
    });
    const mget = vi.spyOn(client, 'mget').mockImplementationOnce((async (names: string[]) => {
      await held;
      return original(names);
    }) as never);
    const first = keys.read();
    await new Promise((settle) => setImmediate(settle));
    expect(mget).toHaveBeenCalledTimes(1);
    // Resolved before the next reads are asked: they must see it.
    expect(await keys.bump()).toBe(before + 1);
    const second = keys.read();
    await new Promise((settle) => setImmediate(settle));
    const third = keys.read();
    await new Promise((settle) => setImmediate(settle));
    expect(mget).toHaveBeenCalledTimes(1);
    release();
    expect(await first).toBeGreaterThanOrEqual(before);
    expect(await Promise.all([second, third])).toEqual([before + 1, before + 1]);
    expect(mget).toHaveBeenCalledTimes(2);
    mget.mockRestore();
  });
});

describe('redis change counter while Redis is unavailable', () => {
  const offline = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false });
  afterAll(() => offline.disconnect());

  it('every read of the turn fails as a dependency error', async () => {
    const keys = createRedisChangeCounter(offline, 'keys');
    const plans = createRedisChangeCounter(offline, 'plans');
    const errors = await Promise.all([errorOf(keys.read()), errorOf(plans.read())]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(SwitchyardError);
      expect((error as SwitchyardError).code).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
    }
  });
});
