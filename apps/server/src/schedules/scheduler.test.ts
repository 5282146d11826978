import { createSchedulesRepository, openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import {
  createEmbeddedJobQueue,
  createEmbeddedScheduleTicker,
  type EmbeddedScheduleTicker,
  nextTickAfter,
  type PlatformJobs,
  platformJobs,
  type ScheduleTick,
} from '@switchyard/jobs';
import { createBullmqJobQueue, createBullmqScheduleTicker } from '@switchyard/jobs/bullmq';
import {
  createManualClock,
  createTestPostgresDatabase,
  createTestRedis,
  eventually,
  type ManualClock,
  probePostgres,
  redisAvailable,
} from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { createScheduler, type Scheduler } from './scheduler';
import { backupScheduleId, ensureSystemSchedules } from './system-schedules';

const minute = 60_000;
const hour = 60 * minute;
const purgePayload = { environment: 'prod', target: 'idempotency-keys' } as const;

interface Instance {
  scheduler: Scheduler;
  ticker: EmbeddedScheduleTicker;
  jobs: PlatformJobQueue;
}

/** Three "processes": each has its own ticker (lease owner) and job queue on the one database. */
function describeEmbedded(
  title: string,
  open: () => Promise<{ database: SwitchyardDatabase; drop?: () => Promise<void> }>,
) {
  describe(title, () => {
    let database: SwitchyardDatabase;
    let drop: (() => Promise<void>) | undefined;
    let clock: ManualClock;
    let instances: Instance[] = [];

    beforeAll(async () => {
      ({ database, drop } = await open());
    });
    afterAll(async () => {
      await database.close();
      await drop?.();
    });
    afterEach(async () => {
      for (const instance of instances) {
        await instance.scheduler.close();
        await instance.jobs.close({ graceful: false });
      }
      instances = [];
      await database.db.execute(sql`DELETE FROM schedules`);
      await database.db.execute(sql`DELETE FROM jobs`);
    });

    async function start(count: number, options: { leaseMs?: number } = {}): Promise<Instance[]> {
      clock = createManualClock(Date.UTC(2026, 0, 1, 12));
      for (let index = 0; index < count; index++) {
        const ticker = createEmbeddedScheduleTicker({
          database,
          clock,
          owner: `process-${index}`,
          pollIntervalMs: 0,
          ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
        });
        const jobs = createEmbeddedJobQueue({ database, catalog: platformJobs, clock, pollIntervalMs: 0 });
        const scheduler = createScheduler({
          repository: createSchedulesRepository(database.db),
          ticker,
          jobs,
          clock,
        });
        await scheduler.start();
        instances.push({ scheduler, ticker, jobs });
      }
      return instances;
    }

    const pollAll = () => Promise.all(instances.map((instance) => instance.ticker.poll()));

    async function jobIds(scheduleId: string): Promise<string[]> {
      const result = await database.db.execute<{ id: string }>(
        sql`SELECT id FROM jobs WHERE id LIKE ${`schedule-${scheduleId}-%`} ORDER BY id`,
      );
      return result.rows.map((row) => row.id);
    }

    const create = (scheduler: Scheduler, missedPolicy: 'skip' | 'run_once' = 'run_once') =>
      scheduler.create({
        environment: 'prod',
        name: 'purge keys',
        origin: 'admin',
        jobName: 'maintenance.purge',
        payload: purgePayload,
        timing: { kind: 'interval', intervalMs: minute },
        missedPolicy,
      });

    it('three processes polling one schedule fire each tick exactly once', async () => {
      const [first] = await start(3);
      const schedule = await create(first?.scheduler as Scheduler);
      expect(schedule.nextRunAt?.toISOString()).toBe('2026-01-01T12:01:00.000Z');
      await pollAll();
      expect(await jobIds(schedule.id)).toEqual([]);
      for (let tick = 1; tick <= 5; tick++) {
        clock.advance(minute);
        await pollAll();
      }
      const ids = await jobIds(schedule.id);
      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
      const runs = await first?.scheduler.runs(schedule.id);
      expect(runs?.map((run) => run.outcome)).toEqual(Array(5).fill('enqueued'));
      expect(runs?.map((run) => run.tickAt.toISOString()).reverse()).toEqual([
        '2026-01-01T12:01:00.000Z',
        '2026-01-01T12:02:00.000Z',
        '2026-01-01T12:03:00.000Z',
        '2026-01-01T12:04:00.000Z',
        '2026-01-01T12:05:00.000Z',
      ]);
      const listed = await first?.scheduler.get(schedule.id);
      expect(listed).toMatchObject({ runs: 5, failures: 0, lastRun: { jobStatus: 'waiting' } });
      expect(listed?.nextRunAt?.toISOString()).toBe('2026-01-01T12:06:00.000Z');
    });

    it('system schedules follow the configuration at each start: a changed BACKUP_SCHEDULE retimes system.backup, a pause stays', async () => {
      const [first] = await start(1);
      const scheduler = first?.scheduler as Scheduler;
      expect(await ensureSystemSchedules(scheduler, { backupSchedule: '30 2 * * *' })).toEqual([]);
      expect((await scheduler.get(backupScheduleId)).nextRunAt?.toISOString()).toBe('2026-01-02T02:30:00.000Z');
      expect(await ensureSystemSchedules(scheduler, { backupSchedule: '30 2 * * *' })).toEqual([]);

      clock.advance(minute);
      expect(await ensureSystemSchedules(scheduler, { backupSchedule: '0 14 * * *' })).toEqual([backupScheduleId]);
      const retimed = await scheduler.get(backupScheduleId);
      expect(retimed).toMatchObject({ timing: { kind: 'cron', cron: '0 14 * * *', timezone: 'UTC' }, paused: false });
      expect(retimed.nextRunAt?.toISOString()).toBe('2026-01-01T14:00:00.000Z');
      // The ticker follows the new timing: the 14:00 tick queues the backup, none at 02:30 is waited for.
      clock.advance(119 * minute);
      await pollAll();
      expect(await jobIds(backupScheduleId)).toHaveLength(1);

      // An admin's pause stays across a retime; resuming goes on from the configured timing.
      await scheduler.pause(backupScheduleId);
      expect(await ensureSystemSchedules(scheduler, { backupSchedule: '15 16 * * *' })).toEqual([backupScheduleId]);
      expect(await scheduler.get(backupScheduleId)).toMatchObject({
        paused: true,
        nextRunAt: null,
        timing: { kind: 'cron', cron: '15 16 * * *' },
      });
      expect((await scheduler.resume(backupScheduleId)).nextRunAt?.toISOString()).toBe('2026-01-01T16:15:00.000Z');

      // A built-in interval changed by an admin is set back at the next start.
      await scheduler.update('system.idempotency-keys-purge', { timing: { kind: 'interval', intervalMs: 2 * hour } });
      expect(await ensureSystemSchedules(scheduler, { backupSchedule: '15 16 * * *' })).toEqual([
        'system.idempotency-keys-purge',
      ]);
      const purge = await scheduler.get('system.idempotency-keys-purge');
      expect(purge.timing).toEqual({ kind: 'interval', intervalMs: hour });
      expect(purge.nextRunAt?.toISOString()).toBe('2026-01-01T15:00:00.000Z');
      // BACKUP_SCHEDULE=off removes the backup schedule.
      await ensureSystemSchedules(scheduler, { backupSchedule: null });
      await expect(scheduler.get(backupScheduleId)).rejects.toMatchObject({ code: 'SY_ERR_NOT_FOUND' });
    });

    it('a tick whose lease holder died fires once, from another process, after the lease ran out', async () => {
      const [first, second] = await start(2, { leaseMs: 30_000 });
      const schedule = await create(first?.scheduler as Scheduler);
      clock.advance(minute);
      // A process takes the lease and dies before it fires.
      const dead = await createSchedulesRepository(database.db).claimDue({
        owner: 'dead-process',
        now: new Date(clock.now()),
        leaseUntil: new Date(clock.now() + 30_000),
        limit: 10,
      });
      expect(dead.map((row) => row.id)).toEqual([schedule.id]);
      expect(await second?.ticker.poll()).toBe(0);
      expect(await jobIds(schedule.id)).toEqual([]);
      clock.advance(30_001);
      expect(await second?.ticker.poll()).toBe(1);
      await pollAll();
      expect(await jobIds(schedule.id)).toEqual([`schedule-${schedule.id}-${Date.UTC(2026, 0, 1, 12, 1)}`]);
    });

    it('after downtime, run_once fires one late run for all missed ticks and goes on from now', async () => {
      const [first] = await start(1);
      const schedule = await create(first?.scheduler as Scheduler, 'run_once');
      clock.advance(3 * 60 * minute + 30_000);
      await pollAll();
      const runs = await first?.scheduler.runs(schedule.id);
      expect(runs).toHaveLength(1);
      expect(runs?.[0]).toMatchObject({ outcome: 'enqueued', manual: false });
      expect(runs?.[0]?.lateMs).toBeGreaterThan(3 * 60 * minute - minute);
      expect((await first?.scheduler.get(schedule.id))?.nextRunAt?.toISOString()).toBe('2026-01-01T15:01:00.000Z');
      await pollAll();
      expect(await jobIds(schedule.id)).toHaveLength(1);
    });

    it('after downtime, skip records the missed tick without a job and goes on from now', async () => {
      const [first] = await start(1);
      const schedule = await create(first?.scheduler as Scheduler, 'skip');
      clock.advance(10 * minute + 30_000);
      await pollAll();
      expect((await first?.scheduler.runs(schedule.id))?.map((run) => run.outcome)).toEqual(['skipped']);
      expect(await jobIds(schedule.id)).toEqual([]);
      // The next tick on time runs normally.
      clock.advance(30_000);
      await pollAll();
      expect((await first?.scheduler.runs(schedule.id))?.map((run) => run.outcome)).toEqual(['enqueued', 'skipped']);
    });

    it('pause stops the ticks, run-now queues one anyway, resume goes on from the next tick', async () => {
      const [first] = await start(2);
      const scheduler = first?.scheduler as Scheduler;
      const schedule = await create(scheduler);
      const paused = await scheduler.pause(schedule.id);
      expect(paused).toMatchObject({ paused: true, nextRunAt: null });
      clock.advance(5 * minute);
      await pollAll();
      expect(await jobIds(schedule.id)).toEqual([]);
      const run = await scheduler.runNow(schedule.id);
      expect(run).toMatchObject({ manual: true, outcome: 'enqueued', jobStatus: 'waiting' });
      expect(await jobIds(schedule.id)).toEqual([run.jobId]);
      const resumed = await scheduler.resume(schedule.id);
      expect(resumed.nextRunAt?.toISOString()).toBe('2026-01-01T12:06:00.000Z');
      await pollAll();
      expect(await jobIds(schedule.id)).toHaveLength(1);
      clock.advance(minute);
      await pollAll();
      expect(await jobIds(schedule.id)).toHaveLength(2);
    });

    it('refuses an unknown job, a payload its schema rejects, a bad cron and a bad time zone', async () => {
      const [first] = await start(1);
      const scheduler = first?.scheduler as Scheduler;
      const base = {
        environment: 'prod' as const,
        name: 'x',
        origin: 'admin' as const,
        jobName: 'maintenance.purge',
        payload: purgePayload as unknown,
        timing: { kind: 'interval' as const, intervalMs: minute },
        missedPolicy: 'skip' as const,
      };
      const code = (promise: Promise<unknown>) =>
        promise.then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        );
      expect(await code(scheduler.create({ ...base, jobName: 'no.such.job' }))).toBe('SY_ERR_VALIDATION');
      expect(await code(scheduler.create({ ...base, payload: { environment: 'prod', target: 'x' } }))).toBe(
        'SY_ERR_VALIDATION',
      );
      expect(await code(scheduler.create({ ...base, environment: 'dev' }))).toBe('SY_ERR_VALIDATION');
      expect(
        await code(scheduler.create({ ...base, timing: { kind: 'cron', cron: '61 * * * *', timezone: 'UTC' } })),
      ).toBe('SY_ERR_VALIDATION');
      expect(
        await code(
          scheduler.create({ ...base, timing: { kind: 'cron', cron: '0 9 * * *', timezone: 'Mars/Olympus' } }),
        ),
      ).toBe('SY_ERR_VALIDATION');
      expect(await code(scheduler.create({ ...base, timing: { kind: 'interval', intervalMs: 10 } }))).toBe(
        'SY_ERR_VALIDATION',
      );
      expect(await code(scheduler.pause('missing'))).toBe('SY_ERR_NOT_FOUND');
    });
  });
}

describeEmbedded('scheduler, embedded lease on PGlite', async () => ({
  database: await openDatabase({ kind: 'pglite', dataDir: null }),
}));

const postgresProbe = await probePostgres();
if (postgresProbe.available) {
  describeEmbedded('scheduler, embedded lease on PostgreSQL', async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
    return { database: await openDatabase({ kind: 'postgres', url: created.url }), drop: created.drop };
  });
} else {
  console.warn(`[skip] scheduler on PostgreSQL: ${postgresProbe.reason} (set TEST_DATABASE_URL)`);
}

describe('schedule timing', () => {
  it('reads a cron expression in its time zone', () => {
    const timing = { kind: 'cron', cron: '0 9 * * *', timezone: 'Europe/Berlin' } as const;
    // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    expect(nextTickAfter(timing, Date.UTC(2026, 0, 1, 12))?.toISOString()).toBe('2026-01-02T08:00:00.000Z');
    expect(nextTickAfter(timing, Date.UTC(2026, 6, 1, 12))?.toISOString()).toBe('2026-07-02T07:00:00.000Z');
  });

  it('puts interval ticks on multiples of the interval, strictly after the given time', () => {
    const timing = { kind: 'interval', intervalMs: minute } as const;
    expect(nextTickAfter(timing, Date.UTC(2026, 0, 1, 12))?.toISOString()).toBe('2026-01-01T12:01:00.000Z');
    expect(nextTickAfter(timing, Date.UTC(2026, 0, 1, 12, 0, 59))?.toISOString()).toBe('2026-01-01T12:01:00.000Z');
  });
});

const redisUp = await redisAvailable();
if (!redisUp) console.warn('[skip] scheduler on BullMQ job schedulers: no Redis (set TEST_REDIS_URL)');

describe.runIf(redisUp)('scheduler, BullMQ job schedulers', () => {
  it('three processes on one Redis deliver each tick of one schedule once', async () => {
    const redis = await createTestRedis();
    const database = await openDatabase({ kind: 'pglite', dataDir: null });
    const delivered: Array<{ process: number; tick: ScheduleTick }> = [];
    const schedulers: Scheduler[] = [];
    const queues: PlatformJobQueue[] = [];
    try {
      for (let index = 0; index < 3; index++) {
        const jobs = createBullmqJobQueue<PlatformJobs>({
          redisUrl: redis.url,
          catalog: platformJobs,
          prefix: redis.prefix,
        });
        const ticker = createBullmqScheduleTicker({ redisUrl: redis.url, prefix: redis.prefix });
        const scheduler = createScheduler({ repository: createSchedulesRepository(database.db), ticker, jobs });
        // Counts every delivery before the scheduler's own (schedule, tick) record could hide a second one.
        const start = ticker.start.bind(ticker);
        ticker.start = (handler) =>
          start(async (tick) => {
            delivered.push({ process: index, tick });
            await handler(tick);
          });
        await scheduler.start();
        schedulers.push(scheduler);
        queues.push(jobs);
      }
      const schedule = await schedulers[0]?.create({
        environment: 'prod',
        name: 'every second',
        origin: 'admin',
        jobName: 'maintenance.purge',
        payload: purgePayload,
        timing: { kind: 'interval', intervalMs: 1_000 },
        missedPolicy: 'run_once',
      });
      const id = schedule?.id as string;
      const runs = await eventually(
        async () => {
          const recorded = await schedulers[1]?.runs(id);
          expect(recorded?.length).toBeGreaterThanOrEqual(3);
          return recorded ?? [];
        },
        { safetyMs: 20_000, intervalMs: 100 },
      );
      await schedulers[2]?.pause(id);
      const ticks = delivered.map((entry) => entry.tick.dueAt.getTime());
      expect(new Set(ticks).size).toBe(ticks.length);
      expect(runs.every((run) => run.outcome === 'enqueued')).toBe(true);
      for (const run of runs) {
        expect((await queues[0]?.get(run.jobId as string))?.name).toBe('maintenance.purge');
      }
      expect((await schedulers[0]?.get(id))?.nextRunAt).toBeNull();
    } finally {
      for (const scheduler of schedulers) await scheduler.close();
      for (const queue of queues) await queue.close({ graceful: false });
      await database.close();
      await redis.cleanup();
    }
  }, 30_000);
});
