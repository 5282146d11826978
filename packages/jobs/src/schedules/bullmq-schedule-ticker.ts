import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { ScheduleTicker, TickerSchedule, TickHandler } from './schedule-ticker';

export interface BullmqScheduleTickerOptions {
  redisUrl: string;
  /** Prefix of every Redis key (BullMQ's `prefix`). Default 'sy'. */
  prefix?: string;
  /** Name of the BullMQ queue that holds the job schedulers. Default 'schedule-ticks'. */
  queueName?: string;
  /** Ticks handled at the same time by one process. Default 4. */
  concurrency?: number;
  onError?: (error: unknown, context: string) => void;
}

interface TickData {
  scheduleId: string;
}

/** A scheduler job's due time from its id (`repeat:<scheduler id>:<due ms>`); a job added otherwise: when it was added. */
export function dueMillisOf(job: Pick<Job, 'id' | 'timestamp'>): number {
  const match = /^repeat:.+:(\d+)$/.exec(job.id ?? '');
  return match ? Number(match[1]) : job.timestamp;
}

/**
 * Server mode: one BullMQ job scheduler per schedule (upsertJobScheduler with the cron pattern and time
 * zone, or `every`), all on one queue of tick jobs. BullMQ stores only the next iteration's job, with the
 * id `repeat:<scheduler id>:<due ms>`, so however many processes run, a tick exists once and one worker
 * takes it; the worker that takes it adds the following one. While no worker runs, nothing piles up:
 * the one waiting tick is handled late when a worker comes back (the scheduler's missed-tick policy
 * decides what that late tick does).
 */
export function createBullmqScheduleTicker(options: BullmqScheduleTickerOptions): ScheduleTicker {
  const prefix = options.prefix ?? 'sy';
  const queueName = options.queueName ?? 'schedule-ticks';
  const reportError =
    options.onError ?? ((error: unknown, context: string) => console.warn(`[switchyard/schedules] ${context}:`, error));
  const client = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  client.on('error', (error) => reportError(error, 'Redis connection failed'));
  const queue = new Queue<TickData>(queueName, { connection: client, prefix });
  queue.on('error', (error) => reportError(error, 'BullMQ schedule queue failed'));
  let worker: Worker<TickData> | undefined;

  return {
    backend: 'bullmq',

    async sync(schedule: TickerSchedule) {
      if (schedule.paused) {
        await queue.removeJobScheduler(schedule.id);
        return;
      }
      const repeat =
        schedule.timing.kind === 'cron'
          ? { pattern: schedule.timing.cron, tz: schedule.timing.timezone }
          : { every: schedule.timing.intervalMs };
      await queue.upsertJobScheduler(schedule.id, repeat, {
        name: 'tick',
        data: { scheduleId: schedule.id },
        // A tick only hands over to the job queue; its own record is the schedule's run history.
        opts: {
          removeOnComplete: true,
          removeOnFail: 1_000,
          attempts: 5,
          backoff: { type: 'exponential', delay: 1_000 },
        },
      });
    },

    async remove(scheduleId) {
      await queue.removeJobScheduler(scheduleId);
    },

    async nextRuns() {
      const runs = new Map<string, Date>();
      for (const scheduler of await queue.getJobSchedulers(0, -1, true)) {
        if (scheduler.key && typeof scheduler.next === 'number') runs.set(scheduler.key, new Date(scheduler.next));
      }
      return runs;
    },

    async start(handler: TickHandler) {
      if (worker) return;
      worker = new Worker<TickData>(
        queueName,
        async (job: Job<TickData>) => {
          // The iteration's due time is the number in its id, `repeat:<scheduler id>:<due ms>`. Not
          // opts.prevMillis: a job the scheduler adds for the next iteration carries the previous one's
          // time there, and one an upsert adds carries none (its timestamp is the upsert's), which made a
          // new interval schedule look as if it fired twice within milliseconds.
          const dueMs = dueMillisOf(job);
          await handler({ scheduleId: job.data.scheduleId, dueAt: new Date(dueMs) });
        },
        { connection: client, prefix, concurrency: options.concurrency ?? 4 },
      );
      worker.on('error', (error) => reportError(error, 'BullMQ schedule worker failed'));
      await worker.waitUntilReady();
    },

    async close() {
      await worker?.close();
      await queue.close();
      client.disconnect();
    },
  };
}
