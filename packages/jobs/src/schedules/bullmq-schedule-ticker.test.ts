import { randomBytes } from 'node:crypto';
import { redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBullmqScheduleTicker, dueMillisOf } from './bullmq-schedule-ticker';
import type { ScheduleTicker } from './schedule-ticker';

describe('dueMillisOf', () => {
  it('reads the iteration time from a scheduler job id, and falls back to the timestamp otherwise', () => {
    expect(dueMillisOf({ id: 'repeat:sched_1:1764770400000', timestamp: 5 })).toBe(1764770400000);
    // Scheduler ids may contain colons themselves; the time is the last part.
    expect(dueMillisOf({ id: 'repeat:a:b:42', timestamp: 5 })).toBe(42);
    expect(dueMillisOf({ id: 'some-other-job', timestamp: 5 })).toBe(5);
    expect(dueMillisOf({ timestamp: 7 })).toBe(7);
  });
});

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] BullMQ schedule ticker: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('BullMQ schedule ticker', () => {
  const tickers: ScheduleTicker[] = [];
  afterEach(async () => {
    for (const ticker of tickers.splice(0)) await ticker.close();
  });

  /** Syncs one schedule from three tickers (as three starting processes do) and collects the first `count` ticks. */
  async function ticksOf(
    timing: { kind: 'interval'; intervalMs: number } | { kind: 'cron'; cron: string; timezone: string },
    count: number,
  ): Promise<Array<{ due: number; handled: number }>> {
    const prefix = `sy-test-ticker-${randomBytes(6).toString('hex')}`;
    const schedule = { id: 'schedule-under-test', environment: 'prod' as const, timing, paused: false };
    const ticks: Array<{ due: number; handled: number }> = [];
    let enough: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      enough = resolve;
    });
    for (let index = 0; index < 3; index++)
      tickers.push(createBullmqScheduleTicker({ redisUrl: testRedisUrl(), prefix }));
    // Every process syncs its schedules when it starts: the upserts after the first must not add a tick.
    for (const ticker of tickers) await ticker.sync(schedule);
    for (const ticker of tickers) {
      await ticker.start(async (tick) => {
        ticks.push({ due: tick.dueAt.getTime(), handled: Date.now() });
        if (ticks.length >= count) enough();
      });
    }
    await reached;
    return ticks.slice(0, count).sort((a, b) => a.due - b.due);
  }

  const stepsOf = (ticks: Array<{ due: number }>) =>
    ticks.slice(1).map((tick, index) => tick.due - (ticks[index] as { due: number }).due);

  it('hands an interval schedule one tick per interval, each due one interval after the last, never twice', async () => {
    const ticks = await ticksOf({ kind: 'interval', intervalMs: 300 }, 4);
    expect(stepsOf(ticks)).toEqual([300, 300, 300]);
  }, 30_000);

  it('gives each cron tick its own due time (on the second), handled within the period', async () => {
    const ticks = await ticksOf({ kind: 'cron', cron: '* * * * * *', timezone: 'UTC' }, 3);
    expect(stepsOf(ticks)).toEqual([1_000, 1_000]);
    for (const tick of ticks) {
      expect(tick.due % 1_000).toBe(0);
      // Handled after it was due, and less than a period later.
      expect(tick.handled - tick.due).toBeGreaterThanOrEqual(0);
      expect(tick.handled - tick.due).toBeLessThan(1_000);
    }
  }, 30_000);
});
