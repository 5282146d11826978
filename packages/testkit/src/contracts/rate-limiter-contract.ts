import type { RateLimiter } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

/** Behaviour every rate limiter backend must share. `open` gives a fresh, empty limiter. */
export function describeRateLimiterContract(backendName: string, open: () => Promise<RateLimiter>): void {
  describe(`rate limiter contract: ${backendName}`, () => {
    it('allows exactly `limit` hits in a window, then rejects with remaining 0', async () => {
      const limiter = await open();
      const decisions = [];
      for (let index = 0; index < 16; index += 1) decisions.push(await limiter.hit('bucket-a', 15));
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(15);
      expect(decisions[14]).toMatchObject({ allowed: true, remaining: 0, limit: 15 });
      const rejected = decisions[15];
      expect(rejected).toMatchObject({ allowed: false, remaining: 0, limit: 15 });
      expect(rejected?.resetMs).toBeGreaterThan(0);
      expect(rejected?.resetMs).toBeLessThanOrEqual(60_000);
    });

    it('keeps buckets apart', async () => {
      const limiter = await open();
      await limiter.hit('bucket-prod', 1);
      expect((await limiter.hit('bucket-prod', 1)).allowed).toBe(false);
      expect((await limiter.hit('bucket-dev', 1)).allowed).toBe(true);
    });

    it('applies a raised limit to the next hit without resetting the count', async () => {
      const limiter = await open();
      for (let index = 0; index < 3; index += 1) await limiter.hit('bucket-raise', 3);
      expect((await limiter.hit('bucket-raise', 3)).allowed).toBe(false);
      const raised = await limiter.hit('bucket-raise', 10);
      // 3 allowed + 1 rejected + this one = 5 counted against the new limit of 10.
      expect(raised).toMatchObject({ allowed: true, remaining: 5 });
    });

    it('peeks without consuming', async () => {
      const limiter = await open();
      expect(await limiter.peek('bucket-peek', 5)).toMatchObject({ allowed: true, remaining: 5 });
      await limiter.hit('bucket-peek', 5);
      await limiter.hit('bucket-peek', 5);
      expect(await limiter.peek('bucket-peek', 5)).toMatchObject({ remaining: 3 });
      expect(await limiter.peek('bucket-peek', 5)).toMatchObject({ remaining: 3 });
    });

    it('rejects everything at a limit of 0', async () => {
      const limiter = await open();
      expect((await limiter.hit('bucket-zero', 0)).allowed).toBe(false);
    });

    it('counts a longer window separately, with a reset time within that window', async () => {
      const limiter = await open();
      const fifteenMinutes = 15 * 60_000;
      await limiter.hit('bucket-window', 1, { windowMs: fifteenMinutes });
      const rejected = await limiter.hit('bucket-window', 1, { windowMs: fifteenMinutes });
      expect(rejected.allowed).toBe(false);
      expect(rejected.resetMs).toBeGreaterThan(60_000);
      expect(rejected.resetMs).toBeLessThanOrEqual(fifteenMinutes);
      // The same bucket name in the default one-minute window is a different counter.
      expect((await limiter.hit('bucket-window', 1)).allowed).toBe(true);
      expect(await limiter.peek('bucket-window', 1, { windowMs: fifteenMinutes })).toMatchObject({ remaining: 0 });
    });

    it('refunds one hit, never below zero', async () => {
      const limiter = await open();
      const window = { windowMs: 120_000 };
      await limiter.hit('bucket-refund', 2, window);
      await limiter.hit('bucket-refund', 2, window);
      await limiter.refund('bucket-refund', window);
      expect(await limiter.peek('bucket-refund', 2, window)).toMatchObject({ remaining: 1 });
      await limiter.refund('bucket-refund', window);
      await limiter.refund('bucket-refund', window);
      expect(await limiter.peek('bucket-refund', 2, window)).toMatchObject({ remaining: 2 });
      expect((await limiter.hit('bucket-refund', 2, window)).remaining).toBe(1);
      await limiter.refund('bucket-never-hit');
      expect(await limiter.peek('bucket-never-hit', 3)).toMatchObject({ remaining: 3 });
    });

    it('counts concurrent hits atomically', async () => {
      const limiter = await open();
      const decisions = await Promise.all(Array.from({ length: 200 }, () => limiter.hit('bucket-race', 10)));
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
    });
  });
}
