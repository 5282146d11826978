import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSchedulesRepository, openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import {
  createEmbeddedJobQueue,
  createEmbeddedScheduleTicker,
  type PlatformJobs,
  platformJobs,
} from '@switchyard/jobs';
import { createBullmqJobQueue, createBullmqScheduleTicker } from '@switchyard/jobs/bullmq';
import {
  createTestPostgresDatabase,
  createTestRedis,
  eventually,
  probePostgres,
  redisAvailable,
} from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { bundledEntry } from '../testing/bundled-entry';
import { createScheduler, type Scheduler } from './scheduler';

/**
 * Exactly once across real OS processes: three `node` processes, each running a scheduler
 * (testing/scheduler-process.ts) against one PostgreSQL database (embedded mode's lease on the
 * `schedules` rows), and again with BullMQ job schedulers on one Redis (server mode). Each child
 * prints every tick its ticker hands it; the parent waits for the run records, then checks that
 * every tick was handed to one process only and that the recorded ticks follow each other without
 * a gap.
 *
 * Most of the time used to be the three `node` processes loading the TypeScript sources through tsx
 * (one took 17 s to be ready on a 2-core machine at load average 20); they now run the scheduler
 * bundled once per test process. The ticks themselves take about four seconds once all three are ready.
 *
 * Embedded mode on PGlite is not tested here: PGlite is a single-process database (one process
 * opens its data directory), so the lease is only ever shared by schedulers inside that process;
 * several processes need PostgreSQL (docs/jobs.md).
 */

const script = fileURLToPath(new URL('../testing/scheduler-process.ts', import.meta.url));
const intervalMs = 1_000;
const wantedTicks = 4;
const purgePayload = { environment: 'prod', target: 'idempotency-keys' } as const;

interface Child {
  process: ChildProcess;
  lines: Array<Record<string, unknown>>;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

/** Runs `script` bundled once per test process (bundled-entry.ts), not through tsx in each child. */
function startChild(bundle: string, name: string, variables: Record<string, string>): Child {
  const child = spawn(process.execPath, [bundle], {
    env: { ...process.env, ...variables, SCHEDULER_PROCESS_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.ready) resolve();
    });
    void exited.then((code) =>
      reject(new Error(`scheduler process ${name} exited (${code}) before it was ready: ${stderr}`)),
    );
  });
  return { process: child, lines, ready, exited };
}

const children: Child[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await child.exited;
  }
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function threeProcessesFireOnce(
  database: SwitchyardDatabase,
  parent: Scheduler,
  variables: Record<string, string>,
  grid: boolean,
): Promise<void> {
  const bundle = await bundledEntry(script);
  for (const name of ['a', 'b', 'c']) children.push(startChild(bundle, name, variables));
  await Promise.all(children.map((child) => child.ready));
  const schedule = await parent.create({
    environment: 'prod',
    name: 'every second, three processes',
    origin: 'admin',
    jobName: 'maintenance.purge',
    payload: purgePayload,
    timing: { kind: 'interval', intervalMs },
    missedPolicy: 'run_once',
  });
  const repository = createSchedulesRepository(database.db);
  // The run records decide when enough ticks happened (each child polls on its own).
  await eventually(
    async () => expect((await repository.listRuns(schedule.id, 100)).length).toBeGreaterThanOrEqual(wantedTicks),
    { safetyMs: 30_000, intervalMs: 100 },
  );
  await parent.pause(schedule.id);
  for (const child of children) child.process.kill('SIGTERM');
  expect(await Promise.all(children.map((child) => child.exited))).toEqual([0, 0, 0]);

  const runs = (await repository.listRuns(schedule.id, 100)).map((run) => ({
    tick: run.tickAt.getTime(),
    outcome: run.outcome,
    manual: run.manual,
  }));
  runs.sort((left, right) => left.tick - right.tick);
  const handed = children.flatMap((child) =>
    child.lines.filter((line) => line.scheduleId === schedule.id).map((line) => line.tick as number),
  );
  const errors = children.flatMap((child) => child.lines.filter((line) => line.error));
  expect(errors).toEqual([]);
  // Each tick was handed to exactly one of the three processes, never to two.
  expect(handed.length).toBe(new Set(handed).size);
  expect([...handed].sort((left, right) => left - right)).toEqual(runs.map((run) => run.tick));
  // One run per tick, each a queued job, and no tick left out between the first and the last.
  expect(runs.every((run) => run.outcome === 'enqueued' && !run.manual)).toBe(true);
  const steps = runs.slice(1).map((run, index) => run.tick - (runs[index]?.tick ?? 0));
  // Each tick follows the last by exactly one interval: none left out, none doubled. Embedded mode puts
  // them on multiples of the interval; BullMQ's `every` counts from the schedule's creation.
  expect(steps).toEqual(Array(steps.length).fill(intervalMs));
  if (grid) expect(runs.every((run) => run.tick % intervalMs === 0)).toBe(true);
  expect(runs.length).toBeGreaterThanOrEqual(wantedTicks);
}

const postgres = await probePostgres();
const redisUp = await redisAvailable();
if (!postgres.available) {
  console.warn(`[skip] scheduler across processes: ${postgres.reason} (set TEST_DATABASE_URL)`);
} else if (!redisUp) {
  console.warn('[skip] scheduler across processes on BullMQ: no Redis (set TEST_REDIS_URL)');
}

async function sharedPostgres(): Promise<{ database: SwitchyardDatabase; url: string }> {
  const created = await createTestPostgresDatabase();
  if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
  const database = await openDatabase({ kind: 'postgres', url: created.url });
  cleanups.push(async () => {
    await database.close();
    await created.drop();
  });
  return { database, url: created.url };
}

describe.skipIf(!postgres.available)('scheduler, three OS processes', () => {
  it('embedded lease on one PostgreSQL: each tick fires in exactly one process', async () => {
    const { database, url } = await sharedPostgres();
    // The parent only writes the schedule row; the children's tickers fire it.
    const jobs: PlatformJobQueue = createEmbeddedJobQueue({ database, catalog: platformJobs, pollIntervalMs: 0 });
    const ticker = createEmbeddedScheduleTicker({ database, pollIntervalMs: 0 });
    const parent = createScheduler({ repository: createSchedulesRepository(database.db), ticker, jobs });
    cleanups.push(async () => {
      await parent.close();
      await jobs.close({ graceful: false });
    });
    await threeProcessesFireOnce(database, parent, { SCHEDULER_DATABASE_URL: url }, true);
  }, 180_000);

  it.skipIf(!redisUp)(
    'BullMQ job schedulers on one Redis: each tick fires in exactly one process',
    async () => {
      const { database, url } = await sharedPostgres();
      const redis = await createTestRedis();
      cleanups.push(() => redis.cleanup());
      const jobs = createBullmqJobQueue<PlatformJobs>({
        redisUrl: redis.url,
        catalog: platformJobs,
        prefix: redis.prefix,
      });
      const ticker = createBullmqScheduleTicker({ redisUrl: redis.url, prefix: redis.prefix });
      // Not started: it only registers the schedule's job scheduler in Redis, the children take the ticks.
      const parent = createScheduler({ repository: createSchedulesRepository(database.db), ticker, jobs });
      cleanups.push(async () => {
        await parent.close();
        await jobs.close({ graceful: false });
      });
      const variables = {
        SCHEDULER_DATABASE_URL: url,
        SCHEDULER_REDIS_URL: redis.url,
        SCHEDULER_REDIS_PREFIX: redis.prefix,
      };
      await threeProcessesFireOnce(database, parent, variables, false);
    },
    180_000,
  );
});
