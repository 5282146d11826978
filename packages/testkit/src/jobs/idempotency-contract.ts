import { createIdempotencyRepository, type Db, type IdempotencyRepositoryOptions } from '@switchyard/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../clock';

const hourMs = 60 * 60_000;

const created = { status: 202, body: { jobId: 'job-1', status: 'waiting' }, headers: { location: '/v1/jobs/job-1' } };

/**
 * `Idempotency-Key` semantics on one database backend. `open` returns the
 * Drizzle handle of an opened, migrated database; the suite empties the table
 * before each test.
 */
export function describeIdempotencyContract(
  backendName: string,
  open: () => Promise<{ db: Db; close(): Promise<void> }>,
): void {
  describe(`idempotency contract: ${backendName}`, () => {
    let handle: { db: Db; close(): Promise<void> };
    let clock: ManualClock;
    const repository = (options: IdempotencyRepositoryOptions = {}) =>
      createIdempotencyRepository(handle.db, { clock, ...options });

    beforeAll(async () => {
      handle = await open();
    });

    afterAll(async () => {
      await handle?.close();
    });

    beforeEach(async () => {
      clock = createManualClock(Date.UTC(2026, 0, 1));
      await handle.db.execute(sql`DELETE FROM idempotency_keys`);
    });

    it('replays the stored response for the same key and body', async () => {
      const store = repository();
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'new' });
      await store.complete('key-a', 'order-1', created);
      clock.advance(hourMs);
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'replay', response: created });
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'replay', response: created });
    });

    it('answers in-progress while the first request runs, and mismatch for another body', async () => {
      const store = repository();
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'new' });
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'in-progress' });
      expect(await store.begin('key-a', 'order-1', 'hash-2')).toEqual({ state: 'mismatch' });
      await store.complete('key-a', 'order-1', created);
      expect(await store.begin('key-a', 'order-1', 'hash-2')).toEqual({ state: 'mismatch' });
    });

    it('keeps the keys of different scopes apart', async () => {
      const store = repository();
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'new' });
      expect(await store.begin('key-b', 'order-1', 'hash-2')).toEqual({ state: 'new' });
      expect(await store.begin('ip:203.0.113.7', 'order-1', 'hash-1')).toEqual({ state: 'new' });
    });

    it('lets a retry run again after the first attempt was abandoned', async () => {
      const store = repository();
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'new' });
      await store.abandon('key-a', 'order-1');
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'new' });
      await store.complete('key-a', 'order-1', created);
      // Abandoning a finished key changes nothing: its response is still replayed.
      await store.abandon('key-a', 'order-1');
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toMatchObject({ state: 'replay' });
    });

    it('lets the same request take over a key whose owner died, but not another request', async () => {
      const store = repository({ inProgressTimeoutMs: 60_000 });
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'new' });
      clock.advance(59_000);
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'in-progress' });
      clock.advance(2_000);
      expect(await store.begin('key-a', 'order-1', 'hash-2')).toEqual({ state: 'mismatch' });
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'new' });
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toEqual({ state: 'in-progress' });
    });

    it('keeps responses for at least 24 hours by default, then forgets them', async () => {
      const store = repository();
      await store.begin('key-a', 'order-1', 'hash-1');
      await store.complete('key-a', 'order-1', created);
      await store.begin('key-a', 'order-2', 'hash-2');
      await store.complete('key-a', 'order-2', created);
      clock.advance(24 * hourMs - 1_000);
      expect(await store.begin('key-a', 'order-1', 'hash-1')).toMatchObject({ state: 'replay' });
      expect(await store.purgeExpired()).toBe(0);
      clock.advance(2_000);
      expect(await store.purgeExpired()).toBe(2);
      // After expiry the key is free, even for another body.
      expect(await store.begin('key-a', 'order-1', 'hash-other')).toEqual({ state: 'new' });
    });

    it('lets an expired key be reused before anything purged it', async () => {
      const store = repository({ ttlMs: 1_000 });
      await store.begin('key-a', 'order-1', 'hash-1');
      await store.complete('key-a', 'order-1', created);
      clock.advance(1_001);
      expect(await store.begin('key-a', 'order-1', 'hash-2')).toEqual({ state: 'new' });
      expect(await store.begin('key-a', 'order-1', 'hash-2')).toEqual({ state: 'in-progress' });
    });

    it('gives the key to exactly one of many simultaneous first requests', async () => {
      const store = repository();
      const results = await Promise.all(Array.from({ length: 10 }, () => store.begin('key-a', 'order-1', 'hash-1')));
      expect(results.filter((result) => result.state === 'new')).toHaveLength(1);
      expect(results.filter((result) => result.state === 'in-progress')).toHaveLength(9);
    });

    it('stores any JSON body and the headers as given', async () => {
      const store = repository();
      const response = { status: 200, body: 'plain text', headers: { 'content-type': 'text/plain' } };
      await store.begin('key-a', 'text', 'hash-1');
      await store.complete('key-a', 'text', response);
      expect(await store.begin('key-a', 'text', 'hash-1')).toEqual({ state: 'replay', response });
    });
  });
}
