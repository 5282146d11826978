import { randomUUID } from 'node:crypto';
import { type Environment, isSwitchyardError, SwitchyardError } from '@switchyard/core';
import type {
  MissedTickPolicy,
  ScheduleOrigin,
  ScheduleRow,
  ScheduleRunRow,
  SchedulesRepository,
} from '@switchyard/db';
import {
  type Clock,
  checkEnqueue,
  checkTiming,
  type JobCatalog,
  type JobStatus,
  nextTickAfter,
  type ScheduleTick,
  type ScheduleTicker,
  type ScheduleTiming,
  systemClock,
  timingOfRow,
} from '@switchyard/jobs';
import type { PlatformJobQueue } from '../jobs/job-queue';

export interface ScheduleInput {
  /** Chosen by the caller for system and search schedules; a random UUID otherwise. */
  id?: string;
  environment: Environment;
  name: string;
  origin: ScheduleOrigin;
  jobName: string;
  payload: unknown;
  timing: ScheduleTiming;
  missedPolicy: MissedTickPolicy;
  paused?: boolean;
}

export type ScheduleChanges = Partial<Pick<ScheduleInput, 'name' | 'payload' | 'timing' | 'missedPolicy'>>;

export interface ScheduleRun {
  tickAt: Date;
  firedAt: Date;
  manual: boolean;
  lateMs: number;
  outcome: ScheduleRunRow['outcome'];
  jobId: string | null;
  /** The job's state when read (null: not queued, or the job is gone). */
  jobStatus: JobStatus | null;
  error: { code: string | null; message: string } | null;
}

export interface ScheduleView {
  id: string;
  environment: Environment;
  name: string;
  origin: ScheduleOrigin;
  jobName: string;
  payload: unknown;
  timing: ScheduleTiming;
  missedPolicy: MissedTickPolicy;
  paused: boolean;
  nextRunAt: Date | null;
  lastRun: ScheduleRun | null;
  runs: number;
  /** Runs that could not be queued or whose job went to the dead-letter queue. */
  failures: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SchedulerOptions {
  repository: SchedulesRepository;
  ticker: ScheduleTicker;
  jobs: PlatformJobQueue;
  catalog?: JobCatalog;
  clock?: Clock;
  /**
   * A tick handled later than this after it was due counts as missed (the processes were down) and
   * follows the schedule's policy. Default 60 s.
   */
  missedAfterMs?: number;
  onError?: (error: unknown, context: string) => void;
}

/**
 * Durable schedules: each names a job of the catalog with its payload, fires on a cron expression in a
 * time zone or on an interval, and can be paused, resumed and run by hand. The ticker decides when a
 * tick is due; `fire` turns it into exactly one job: the (schedule, tick) record is inserted once, and
 * the job id is derived from the tick so a repeated delivery finds the job already queued.
 */
export function createScheduler(options: SchedulerOptions) {
  const { repository, ticker, jobs } = options;
  const catalog = options.catalog ?? jobs.catalog;
  const clock = options.clock ?? systemClock;
  const missedAfterMs = options.missedAfterMs ?? 60_000;
  const reportError = options.onError ?? (() => {});
  const now = () => new Date(clock.now());

  function notFound(id: string): SwitchyardError {
    return new SwitchyardError('SY_ERR_NOT_FOUND', `No schedule with id '${id}'`);
  }

  function check(input: Pick<ScheduleInput, 'environment' | 'jobName' | 'payload' | 'timing'>): void {
    checkTiming(input.timing);
    checkEnqueue(catalog, input.jobName, input.payload, { environment: input.environment });
  }

  const timingColumns = (timing: ScheduleTiming) =>
    timing.kind === 'cron'
      ? { cron: timing.cron, timezone: timing.timezone, intervalMs: null }
      : { cron: null, timezone: null, intervalMs: timing.intervalMs };

  const nextRun = (row: Pick<ScheduleRow, 'cron' | 'timezone' | 'intervalMs'>) =>
    nextTickAfter(timingOfRow(row), clock.now());

  async function syncTicker(row: ScheduleRow): Promise<void> {
    await ticker.sync({ id: row.id, environment: row.environment, timing: timingOfRow(row), paused: row.paused });
  }

  async function require(id: string): Promise<ScheduleRow> {
    const row = await repository.find(id);
    if (!row) throw notFound(id);
    return row;
  }

  async function runOf(row: ScheduleRunRow): Promise<ScheduleRun> {
    let jobStatus: JobStatus | null = (row.jobStatus as JobStatus | null) ?? null;
    let error = row.error ?? null;
    if (row.jobId && jobStatus === null) {
      const job = await jobs.get(row.jobId);
      jobStatus = job?.status ?? null;
      if (job?.status === 'dead') error = job.lastError;
      // A finished job's outcome is written down, so the failure count survives the job's removal.
      if (job && (job.status === 'completed' || job.status === 'dead')) {
        await repository.settleRun(row.id, job.status, job.status === 'dead' ? job.lastError : null);
      }
    }
    return {
      tickAt: row.tickAt,
      firedAt: row.firedAt,
      manual: row.manual,
      lateMs: row.lateMs,
      outcome: row.outcome,
      jobId: row.jobId,
      jobStatus,
      error,
    };
  }

  async function views(rows: readonly ScheduleRow[]): Promise<ScheduleView[]> {
    const ids = rows.map((row) => row.id);
    const [latest, nextRuns] = await Promise.all([repository.latestRuns(ids), ticker.nextRuns()]);
    const lastRuns = new Map<string, ScheduleRun>();
    for (const run of latest) lastRuns.set(run.scheduleId, await runOf(run));
    // After settling the latest runs, so a run that just went dead counts.
    const summaries = new Map((await repository.summarise(ids)).map((summary) => [summary.scheduleId, summary]));
    return rows.map((row) => ({
      id: row.id,
      environment: row.environment,
      name: row.name,
      origin: row.origin,
      jobName: row.jobName,
      payload: row.payload,
      timing: timingOfRow(row),
      missedPolicy: row.missedPolicy,
      paused: row.paused,
      nextRunAt: row.paused ? null : (nextRuns.get(row.id) ?? row.nextRunAt),
      lastRun: lastRuns.get(row.id) ?? null,
      runs: summaries.get(row.id)?.runs ?? 0,
      failures: summaries.get(row.id)?.failed ?? 0,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    }));
  }

  async function view(row: ScheduleRow): Promise<ScheduleView> {
    const [result] = await views([row]);
    if (!result) throw notFound(row.id);
    return result;
  }

  async function enqueueFor(
    row: ScheduleRow,
    tickAt: Date,
    manual: boolean,
    lateMs: number,
  ): Promise<{ recorded: boolean; jobId: string | null }> {
    const jobId = manual ? `schedule-${row.id}-manual-${tickAt.getTime()}` : `schedule-${row.id}-${tickAt.getTime()}`;
    const base = { scheduleId: row.id, tickAt, manual, lateMs, firedAt: now() };
    try {
      // biome-ignore lint/suspicious/noExplicitAny: the payload was checked against this job's schema when it was stored, and is again here
      await jobs.enqueue(row.jobName as any, row.payload as any, { environment: row.environment, jobId });
    } catch (error) {
      // The job or its schema changed since the schedule was stored: nothing a retry fixes.
      if (!isSwitchyardError(error) || error.code !== 'SY_ERR_VALIDATION') throw error;
      const recorded = await repository.recordRun({
        ...base,
        outcome: 'failed',
        jobId: null,
        error: { code: error.code, message: error.message },
      });
      return { recorded, jobId: null };
    }
    const recorded = await repository.recordRun({ ...base, outcome: 'enqueued', jobId, error: null });
    return { recorded, jobId };
  }

  /** Turns a due tick into at most one job, applying the missed-tick policy to a late one. */
  async function fire(tick: ScheduleTick): Promise<void> {
    const row = await repository.find(tick.scheduleId);
    if (!row) {
      // Deleted while its BullMQ job scheduler still had a tick waiting.
      await ticker.remove(tick.scheduleId).catch((error: unknown) => reportError(error, 'removing a stale schedule'));
      return;
    }
    if (row.paused) return;
    const lateMs = Math.max(0, clock.now() - tick.dueAt.getTime());
    if (lateMs > missedAfterMs && row.missedPolicy === 'skip') {
      await repository.recordRun({
        scheduleId: row.id,
        tickAt: tick.dueAt,
        manual: false,
        lateMs,
        outcome: 'skipped',
        jobId: null,
        error: null,
        firedAt: now(),
      });
      return;
    }
    await enqueueFor(row, tick.dueAt, false, lateMs);
  }

  return {
    fire,

    async create(input: ScheduleInput): Promise<ScheduleView> {
      check(input);
      const paused = input.paused ?? false;
      const columns = timingColumns(input.timing);
      const { row, inserted } = await repository.insertIfMissing({
        id: input.id ?? randomUUID(),
        environment: input.environment,
        name: input.name,
        origin: input.origin,
        jobName: input.jobName,
        payload: input.payload,
        ...columns,
        missedPolicy: input.missedPolicy,
        paused,
        nextRunAt: paused ? null : nextRun(columns),
        createdAt: now(),
        updatedAt: now(),
      });
      if (!inserted) throw new SwitchyardError('SY_ERR_CONFLICT', `A schedule with id '${row.id}' exists`);
      await syncTicker(row);
      return view(row);
    },

    /** Creates the schedule unless its id exists; an existing one keeps what an admin changed. */
    async ensure(input: ScheduleInput & { id: string }): Promise<void> {
      check(input);
      const columns = timingColumns(input.timing);
      const { row } = await repository.insertIfMissing({
        ...input,
        ...columns,
        paused: input.paused ?? false,
        nextRunAt: input.paused ? null : nextRun(columns),
        createdAt: now(),
        updatedAt: now(),
      });
      await syncTicker(row);
    },

    /**
     * For schedules whose timing configuration owns (system schedules): creates the schedule when missing,
     * and when it exists with another cron, time zone or interval, sets the given timing and recomputes
     * its next run. Its paused state, name, payload and runs stay; a paused schedule stays paused (its next
     * run is computed when it is resumed).
     */
    async reconcile(input: ScheduleInput & { id: string }): Promise<'created' | 'retimed' | 'unchanged'> {
      check(input);
      const columns = timingColumns(input.timing);
      const { row, inserted } = await repository.insertIfMissing({
        ...input,
        ...columns,
        paused: input.paused ?? false,
        nextRunAt: input.paused ? null : nextRun(columns),
        createdAt: now(),
        updatedAt: now(),
      });
      if (inserted) {
        await syncTicker(row);
        return 'created';
      }
      if (row.cron === columns.cron && row.timezone === columns.timezone && row.intervalMs === columns.intervalMs) {
        await syncTicker(row);
        return 'unchanged';
      }
      const updated = await repository.update(row.id, {
        ...columns,
        ...(row.paused ? {} : { nextRunAt: nextRun(columns) }),
        updatedAt: now(),
      });
      await syncTicker(updated ?? row);
      return 'retimed';
    },

    async update(id: string, changes: ScheduleChanges): Promise<ScheduleView> {
      const current = await require(id);
      const timing = changes.timing ?? timingOfRow(current);
      check({
        environment: current.environment,
        jobName: current.jobName,
        payload: changes.payload ?? current.payload,
        timing,
      });
      const columns = timingColumns(timing);
      const row = await repository.update(id, {
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.payload === undefined ? {} : { payload: changes.payload }),
        ...(changes.missedPolicy === undefined ? {} : { missedPolicy: changes.missedPolicy }),
        ...columns,
        ...(changes.timing && !current.paused ? { nextRunAt: nextRun(columns) } : {}),
        updatedAt: now(),
      });
      if (!row) throw notFound(id);
      if (changes.timing) await syncTicker(row);
      return view(row);
    },

    async delete(id: string): Promise<void> {
      if (!(await repository.delete(id))) throw notFound(id);
      await ticker.remove(id);
    },

    async pause(id: string): Promise<ScheduleView> {
      await require(id);
      const row = await repository.update(id, { paused: true, nextRunAt: null, updatedAt: now() });
      if (!row) throw notFound(id);
      await syncTicker(row);
      return view(row);
    },

    /** Ticks that passed while paused are not caught up: the schedule goes on from its next tick. */
    async resume(id: string): Promise<ScheduleView> {
      const current = await require(id);
      const row = await repository.update(id, { paused: false, nextRunAt: nextRun(current), updatedAt: now() });
      if (!row) throw notFound(id);
      await syncTicker(row);
      return view(row);
    },

    /** Queues the job now, paused or not, besides the regular ticks. */
    async runNow(id: string): Promise<ScheduleRun> {
      const row = await require(id);
      const tickAt = now();
      await enqueueFor(row, tickAt, true, 0);
      const [run] = await repository.listRuns(id, 1);
      if (!run) throw new SwitchyardError('SY_ERR_INTERNAL', 'The run was not recorded');
      return runOf(run);
    },

    async get(id: string): Promise<ScheduleView> {
      return view(await require(id));
    },

    /** Raw row, for capabilities that own schedules (saved searches). */
    find(id: string): Promise<ScheduleRow | undefined> {
      return repository.find(id);
    },

    async list(filter: { environments?: readonly Environment[] } = {}): Promise<ScheduleView[]> {
      return views(await repository.list(filter));
    },

    async runs(id: string, limit = 50): Promise<ScheduleRun[]> {
      await require(id);
      const rows = await repository.listRuns(id, limit);
      return Promise.all(rows.map(runOf));
    },

    /** Starts firing ticks in this process; server mode first makes BullMQ follow every stored schedule. */
    async start(): Promise<void> {
      if (ticker.backend === 'bullmq') {
        for (const row of await repository.list()) await syncTicker(row);
      }
      await ticker.start(fire);
    },

    close(): Promise<void> {
      return ticker.close();
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
