/**
 * One scheduler process for the multi-process test (schedules/scheduler-processes.test.ts), run as
 * bundled once per test process (bundled-entry.ts) and run with `node`. It opens the shared PostgreSQL database (and, with
 * SCHEDULER_REDIS_URL, BullMQ on the shared Redis), starts a scheduler the way the server does, and
 * prints one JSON line per tick its ticker hands to it, before the scheduler's own (schedule, tick)
 * record could hide a second delivery. SIGTERM closes it.
 */
import { createSchedulesRepository, openDatabase } from '@switchyard/db';
import {
  createEmbeddedJobQueue,
  createEmbeddedScheduleTicker,
  type PlatformJobs,
  platformJobs,
  type ScheduleTicker,
} from '@switchyard/jobs';
import { createBullmqJobQueue, createBullmqScheduleTicker } from '@switchyard/jobs/bullmq';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { createScheduler } from '../schedules/scheduler';

const databaseUrl = process.env.SCHEDULER_DATABASE_URL;
const redisUrl = process.env.SCHEDULER_REDIS_URL;
const prefix = process.env.SCHEDULER_REDIS_PREFIX ?? 'sy';
const name = process.env.SCHEDULER_PROCESS_NAME ?? String(process.pid);
if (!databaseUrl) throw new Error('SCHEDULER_DATABASE_URL is required');

const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const onError = (error: unknown, context: string) =>
  print({ error: `${context}: ${error instanceof Error ? error.message : String(error)}` });

// The parent opened (and so migrated) it first: migrating again here is a no-op.
const database = await openDatabase({ kind: 'postgres', url: databaseUrl });
const jobs: PlatformJobQueue = redisUrl
  ? createBullmqJobQueue<PlatformJobs>({ redisUrl, catalog: platformJobs, prefix, onError })
  : createEmbeddedJobQueue({ database, catalog: platformJobs, pollIntervalMs: 0, onError });
const ticker: ScheduleTicker = redisUrl
  ? createBullmqScheduleTicker({ redisUrl, prefix, onError })
  : createEmbeddedScheduleTicker({ database, owner: name, pollIntervalMs: 100, onError });
const start = ticker.start.bind(ticker);
ticker.start = (handler) =>
  start(async (tick) => {
    print({ process: name, scheduleId: tick.scheduleId, tick: tick.dueAt.getTime() });
    await handler(tick);
  });
const scheduler = createScheduler({ repository: createSchedulesRepository(database.db), ticker, jobs, onError });
await scheduler.start();
print({ process: name, ready: true });

process.once('SIGTERM', () => {
  void (async () => {
    await scheduler.close();
    await jobs.close({ graceful: false });
    await database.close();
    print({ process: name, closed: true });
    process.exit(0);
  })();
});
