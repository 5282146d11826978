import { randomUUID } from 'node:crypto';
import type { DailyQuota } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../clock';

/**
 * Opens a quota on a shared store that reads the time from `clock`. The suite
 * uses fresh subjects in every test, so the store need not be emptied.
 */
export type OpenImageQuota = (clock: ManualClock) => Promise<DailyQuota>;

const noon = Date.UTC(2026, 2, 14, 12);
const lastMsOfDay = Date.UTC(2026, 2, 14, 23, 59, 59, 999);
const newSubject = () => `key:${randomUUID()}`;

/**
 * Behaviour every daily quota shares: what `POST /v1/image/generate`, `GET /v1/image/quota` and the audio
 * minutes (`POST /v1/audio/transcriptions`, amounts in seconds) rely on.
 */
export function describeImageQuotaContract(backendName: string, open: OpenImageQuota): void {
  describe(`image quota contract: ${backendName}`, () => {
    it('takes within the limit, counting each unit, and refuses over it without counting', async () => {
      const clock = createManualClock(noon);
      const quota = await open(clock);
      const subject = newSubject();
      const resetsAt = new Date(Date.UTC(2026, 2, 15));
      for (let used = 1; used <= 3; used += 1) {
        expect(await quota.take('prod', subject, 3)).toEqual({
          allowed: true,
          used,
          limit: 3,
          day: '2026-03-14',
          resetsAt,
        });
      }
      for (let refused = 0; refused < 3; refused += 1) {
        expect(await quota.take('prod', subject, 3)).toEqual({
          allowed: false,
          used: 3,
          limit: 3,
          day: '2026-03-14',
          resetsAt,
        });
      }
      expect(await quota.usage('prod', subject, 3)).toMatchObject({ allowed: false, used: 3 });
    });

    it('refuses everything at a limit of zero, and keeps the count when the limit is lowered', async () => {
      const quota = await open(createManualClock(noon));
      const subject = newSubject();
      expect(await quota.take('prod', subject, 0)).toMatchObject({ allowed: false, used: 0, limit: 0 });
      for (let index = 0; index < 3; index += 1) await quota.take('prod', subject, 5);
      expect(await quota.take('prod', subject, 2)).toMatchObject({ allowed: false, used: 3, limit: 2 });
      expect(await quota.usage('prod', subject, 2)).toMatchObject({ allowed: false, used: 3 });
      expect(await quota.take('prod', subject, 4)).toMatchObject({ allowed: true, used: 4 });
    });

    it('counts per UTC day: a new day starts at midnight with a fresh count', async () => {
      const clock = createManualClock(lastMsOfDay);
      const quota = await open(clock);
      const subject = newSubject();
      expect(await quota.take('prod', subject, 2)).toMatchObject({ allowed: true, used: 1, day: '2026-03-14' });
      expect(await quota.take('prod', subject, 2)).toMatchObject({ allowed: true, used: 2 });
      expect(await quota.take('prod', subject, 2)).toMatchObject({
        allowed: false,
        resetsAt: new Date(Date.UTC(2026, 2, 15)),
      });
      clock.advance(1);
      expect(await quota.usage('prod', subject, 2)).toMatchObject({ allowed: true, used: 0, day: '2026-03-15' });
      expect(await quota.take('prod', subject, 2)).toEqual({
        allowed: true,
        used: 1,
        limit: 2,
        day: '2026-03-15',
        resetsAt: new Date(Date.UTC(2026, 2, 16)),
      });
      // The previous day keeps its own count.
      clock.set(lastMsOfDay);
      expect(await quota.usage('prod', subject, 2)).toMatchObject({ used: 2 });
    });

    it('gives a released unit back, never counting below zero', async () => {
      const quota = await open(createManualClock(noon));
      const subject = newSubject();
      const first = await quota.take('dev', subject, 2);
      await quota.take('dev', subject, 2);
      expect(await quota.take('dev', subject, 2)).toMatchObject({ allowed: false });
      await quota.release('dev', subject, first.day);
      expect(await quota.usage('dev', subject, 2)).toMatchObject({ allowed: true, used: 1 });
      expect(await quota.take('dev', subject, 2)).toMatchObject({ allowed: true, used: 2 });
      for (let index = 0; index < 4; index += 1) await quota.release('dev', subject, first.day);
      expect(await quota.usage('dev', subject, 2)).toMatchObject({ used: 0 });
      expect(await quota.take('dev', subject, 2)).toMatchObject({ allowed: true, used: 1 });
      // Releasing on a day that has no count leaves it at zero.
      const untouched = newSubject();
      await quota.release('dev', untouched, first.day);
      expect(await quota.usage('dev', untouched, 2)).toMatchObject({ used: 0 });
      expect(await quota.take('dev', untouched, 2)).toMatchObject({ used: 1 });
    });

    it('gives a unit back to the day it was taken on, also after midnight', async () => {
      const clock = createManualClock(lastMsOfDay);
      const quota = await open(clock);
      const subject = newSubject();
      const beforeMidnight = await quota.take('prod', subject, 5);
      clock.advance(1);
      await quota.take('prod', subject, 5);
      await quota.release('prod', subject, beforeMidnight.day);
      expect(await quota.usage('prod', subject, 5)).toMatchObject({ used: 1, day: '2026-03-15' });
      clock.set(lastMsOfDay);
      expect(await quota.usage('prod', subject, 5)).toMatchObject({ used: 0, day: '2026-03-14' });
    });

    it('keeps subjects and environments apart', async () => {
      const quota = await open(createManualClock(noon));
      const [alice, bob] = [newSubject(), newSubject()];
      await quota.take('prod', alice, 1);
      expect(await quota.take('prod', alice, 1)).toMatchObject({ allowed: false });
      expect(await quota.take('prod', bob, 1)).toMatchObject({ allowed: true, used: 1 });
      expect(await quota.take('dev', alice, 1)).toMatchObject({ allowed: true, used: 1 });
      await quota.release('dev', alice, '2026-03-14');
      expect(await quota.usage('prod', alice, 1)).toMatchObject({ used: 1 });
      expect(await quota.usage('dev', alice, 1)).toMatchObject({ used: 0 });
      expect(await quota.usage('prod', bob, 1)).toMatchObject({ used: 1 });
    });

    it('reports usage without taking anything', async () => {
      const quota = await open(createManualClock(noon));
      const subject = newSubject();
      const expected = {
        allowed: true,
        used: 0,
        limit: 4,
        day: '2026-03-14',
        resetsAt: new Date(Date.UTC(2026, 2, 15)),
      };
      expect(await quota.usage('prod', subject, 4)).toEqual(expected);
      expect(await quota.usage('prod', subject, 4)).toEqual(expected);
      await quota.take('prod', subject, 4);
      expect(await quota.usage('prod', subject, 4)).toEqual({ ...expected, used: 1 });
      expect(await quota.usage('prod', subject, 1)).toEqual({ ...expected, allowed: false, used: 1, limit: 1 });
    });

    it('takes an amount only when all of it fits, and gives amounts back', async () => {
      const quota = await open(createManualClock(noon));
      const subject = newSubject();
      expect(await quota.take('prod', subject, 60, 45)).toMatchObject({ allowed: true, used: 45 });
      // 20 more would make 65: refused whole, nothing counted.
      expect(await quota.take('prod', subject, 60, 20)).toMatchObject({ allowed: false, used: 45 });
      expect(await quota.take('prod', subject, 60, 15)).toMatchObject({ allowed: true, used: 60 });
      await quota.release('prod', subject, '2026-03-14', 30);
      expect(await quota.usage('prod', subject, 60)).toMatchObject({ used: 30 });
      // More than was taken: down to zero, not below.
      await quota.release('prod', subject, '2026-03-14', 1_000);
      expect(await quota.usage('prod', subject, 60)).toMatchObject({ used: 0 });
      // An amount over the limit is refused even on a fresh day.
      expect(await quota.take('prod', newSubject(), 60, 61)).toMatchObject({ allowed: false, used: 0 });
    });

    it('lets exactly what fits through when many take amounts at once', async () => {
      const quota = await open(createManualClock(noon));
      const subject = newSubject();
      const decisions = await Promise.all(Array.from({ length: 30 }, () => quota.take('dev', subject, 100, 7)));
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(14);
      expect(await quota.usage('dev', subject, 100)).toMatchObject({ used: 98 });
    });

    it('lets exactly the limit through when many take at once', async () => {
      const quota = await open(createManualClock(noon));
      const subject = newSubject();
      const decisions = await Promise.all(Array.from({ length: 40 }, () => quota.take('prod', subject, 7)));
      const allowed = decisions.filter((decision) => decision.allowed);
      expect(allowed).toHaveLength(7);
      expect(allowed.map((decision) => decision.used).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(await quota.usage('prod', subject, 7)).toMatchObject({ used: 7 });
    });
  });
}
