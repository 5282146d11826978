import { type KeyPoolStore, keyWindowMs, upstreamKeyId } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

/**
 * Behaviour every key-rotation store shares. `open` returns two handles on
 * one shared store (for Redis: two connections, as two processes would have).
 */
export function describeKeyPoolContract(
  backendName: string,
  open: () => Promise<{ first: KeyPoolStore; second: KeyPoolStore; poolId: string }>,
): void {
  const keys = ['key-a', 'key-b', 'key-c'].map(upstreamKeyId);
  // The start of a window, so a test's requests never straddle two windows.
  const windowStart = Math.floor(Date.now() / keyWindowMs) * keyWindowMs + 1000;

  describe(`key pool contract: ${backendName}`, () => {
    it('spreads 30 requests evenly over three keys of 10 rpm, then has none left for the 31st', async () => {
      const { first, second, poolId } = await open();
      const picks: number[] = [];
      for (let index = 0; index < 30; index += 1) {
        const store = index % 2 === 0 ? first : second;
        const pick = await store.pick(poolId, keys, 10, windowStart + index);
        expect(pick.ok).toBe(true);
        if (pick.ok) picks.push(pick.lease.index);
      }
      expect([0, 1, 2].map((index) => picks.filter((pick) => pick === index).length)).toEqual([10, 10, 10]);
      const exhausted = await first.pick(poolId, keys, 10, windowStart + 100);
      expect(exhausted.ok).toBe(false);
      if (!exhausted.ok) {
        expect(exhausted.waitMs).toBeGreaterThan(0);
        expect(exhausted.waitMs).toBeLessThanOrEqual(keyWindowMs);
      }
      const nextWindow = await second.pick(poolId, keys, 10, windowStart + keyWindowMs);
      expect(nextWindow.ok).toBe(true);
    });

    it('skips a key that got a 429 until its cooldown ends, on every handle', async () => {
      const { first, second, poolId } = await open();
      const cooled = keys[0] ?? '';
      await first.coolDown(poolId, cooled, windowStart + 30_000, windowStart);
      for (let index = 0; index < 6; index += 1) {
        const pick = await second.pick(poolId, keys, 100, windowStart + 10 + index);
        expect(pick.ok && pick.lease.index).not.toBe(0);
      }
      const state = await second.inspect(poolId, keys, windowStart + 20);
      expect(state[0]?.coolingUntil).toBe(windowStart + 30_000);
      expect(state[0]?.used).toBe(0);
      expect((state[1]?.used ?? 0) + (state[2]?.used ?? 0)).toBe(6);
      const after = await first.pick(poolId, keys, 100, windowStart + 30_001);
      expect(after.ok && after.lease.index).toBe(0);
    });

    it('says how long until a key frees up when every key is cooling down', async () => {
      const { first, poolId } = await open();
      for (const key of keys) await first.coolDown(poolId, key, windowStart + 5_000, windowStart);
      const pick = await first.pick(poolId, keys, 100, windowStart + 1_000);
      expect(pick).toEqual({ ok: false, waitMs: 4_000 });
    });

    it('never hands out more than the budget under concurrency', async () => {
      const { first, second, poolId } = await open();
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, index) => (index % 2 ? first : second).pick(poolId, keys, 10, windowStart + 50)),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(30);
    });
  });
}
