/**
 * The event bus under crashes: N events flow while a consumer process is SIGKILLed every 2 s
 * (and restarted each time). Every handled event applies one effect, a row per event id whose
 * `applied` counts the runs, written in the same transaction as the consumed-id record
 * (context.recordConsumed). At the end: lost = events without an effect, handled twice = effects
 * applied more than once.
 *
 * - PostgreSQL (embedded backend), Redis Streams, RabbitMQ: this process publishes through the
 *   transactional outbox in PostgreSQL (100 events per transaction) and relays; two consumer
 *   processes share the group, and every 2 s the one up longest is SIGKILLed and replaced.
 * - PGlite with a data directory: one process owns it, so that one process publishes (outbox and
 *   progress in one transaction) and consumes; it is SIGKILLed every 2 s and reopens the directory.
 *
 *   npm run events:sigkill -w @switchyard/bench -- [--events 10000] [--backends postgres,redis,rabbitmq,pglite]
 *                                                  [--out results/<date>-events-sigkill]
 *
 * The figure is --events 100000. Not part of npm test. Needs TEST_DATABASE_URL
 * (TEST_REDIS_URL, TEST_AMQP_URL for those backends); backends that do not answer are skipped.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Db } from '@switchyard/db';
import { createEventBus } from '@switchyard/events';
import { sql } from 'drizzle-orm';
import { build } from 'esbuild';
import {
  type BackendAddress,
  type BackendKind,
  backendLabels,
  backendTransport,
  createBackend,
  openBackendDatabase,
  unavailable,
} from './event-backends';
import { countEffects, createBenchTables, eventId, sigkillCatalog, sigkillGroup } from './events-sigkill-consumer';
import { describeMachine } from './machine';
import { benchDir, childEnvironment, repoRoot, spawnNode, waitForExit } from './processes';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    backends: { type: 'string', default: 'postgres,redis,rabbitmq,pglite' },
    'kill-every': { type: 'string', default: '2000' },
    /** Consumer processes of the server backends (one is killed at a time; the others carry on). */
    consumers: { type: 'string', default: '3' },
    /** Give up on a backend when no event was handled for this long. */
    'stall-seconds': { type: 'string', default: '180' },
    /**
     * Stop killing after this many seconds (0: kill until every event is handled); the rest of the
     * N events then drain with the consumers left alone, so lost and handled-twice still cover all N.
     */
    'kill-seconds': { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
const total = Number(values.events);
const killEveryMs = Number(values['kill-every']);
const stallMs = Number(values['stall-seconds']) * 1000;
const killForMs = Number(values['kill-seconds']) * 1000;
const kinds = values.backends.split(',') as BackendKind[];
const consumerSlots = Math.max(1, Number(values.consumers));
const consumerSource = join(benchDir, 'events-sigkill-consumer.ts');

/**
 * The consumer as one plain JavaScript file, npm packages included: run through tsx, a restarted
 * consumer spent 5–9 s of a loaded machine transpiling @switchyard/db and @switchyard/events file by
 * file; bundled with node_modules left outside, it still spent ~1.1 s of CPU, most of it in Node's
 * ESM loader resolving and reading drizzle-orm's and typebox's hundreds of files. One file starts in
 * a fraction of that (see `restart` in the results). PGlite stays outside (its WebAssembly and data
 * files sit next to its code; only the embedded path imports it, lazily), and so does pg's optional
 * native binding. Switchyard's own modules are marked free of side effects so that what the consumer
 * does not use (configuration parsing with yaml, rate limiters) is left out.
 */
async function bundleConsumer(): Promise<string> {
  // A directory per run: two runs at once must not rewrite the file the other's consumers load.
  const outDir = join(benchDir, '.cache', `events-sigkill-${process.pid}`);
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [consumerSource],
    outdir: outDir,
    // The transports import their client library lazily; in chunks of its own, the one a run does
    // not use (amqplib or ioredis) is not even parsed.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    external: ['@electric-sql/pglite', 'pg-native', 'drizzle-orm/pglite', 'drizzle-orm/pglite/migrator'],
    // The CommonJS packages inside (pg, ioredis, amqplib) require Node's modules.
    banner: {
      js: "import { createRequire as createRequireInBundle } from 'node:module'; const require = createRequireInBundle(import.meta.url);",
    },
    plugins: [
      {
        name: 'switchyard-modules-without-side-effects',
        setup(pluginBuild) {
          const packagesDir = join(repoRoot, 'packages');
          pluginBuild.onResolve({ filter: /.*/ }, async (args) => {
            if (args.pluginData === 'resolving' || args.path.startsWith('node:')) return undefined;
            const resolved = await pluginBuild.resolve(args.path, {
              kind: args.kind,
              resolveDir: args.resolveDir,
              importer: args.importer,
              pluginData: 'resolving',
            });
            return resolved.path.startsWith(packagesDir) ? { ...resolved, sideEffects: false } : undefined;
          });
        },
      },
    ],
  });
  return join(outDir, 'events-sigkill-consumer.mjs');
}
/** PGlite's consumer migrates its directory from the migration files, which a bundle does not carry: tsx for it. */
const bundledConsumer = kinds.some((kind) => kind !== 'pglite') ? await bundleConsumer() : consumerSource;

interface Result {
  backend: string;
  events: number;
  kills: number;
  consumerProcesses: number;
  seconds: number;
  eventsPerSecond: number;
  lost: number;
  handledTwice: number;
  /** Effects applied beyond the first, summed (0 when handledTwice is 0). */
  extraApplications: number;
  /** Handled while consumers were being killed (all of them unless --kill-seconds stopped the kills first). */
  handledUnderKills: number;
  /** From a consumer's spawn to its subscription, over every consumer started. */
  restart: { medianMs: number; p95Ms: number; maxMs: number };
  outcome: 'complete' | 'stalled';
}

interface Consumer {
  child: ChildProcess;
  readyAt: number | undefined;
}

/** Milliseconds from a consumer's spawn to its `ready` (subscribed), per backend. */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Starts consumer processes, SIGKILLs the longest-running ready one every `killEveryMs` and replaces it. */
function consumerPool(address: BackendAddress, slots: number, logFile: string) {
  const consumers = new Set<Consumer>();
  let started = 0;
  let kills = 0;
  let stopped = false;
  let firstReady: () => void = () => {};
  let failed: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    firstReady = resolve;
    failed = reject;
  });
  /** Consumers in a row that died before they were ready: a broken consumer, not a slow one. */
  let deadOnArrival = 0;
  let progressListener: (message: { published: number; effects: number }) => void = () => {};

  const restartMs: number[] = [];

  function start(): void {
    const spawnedAt = performance.now();
    const child = spawnNode(address.kind === 'pglite' ? consumerSource : bundledConsumer, [], {
      env: childEnvironment({ BENCH_ADDRESS: JSON.stringify(address), BENCH_EVENTS: String(total) }),
      logFile,
      ipc: true,
    });
    started++;
    const consumer: Consumer = { child, readyAt: undefined };
    consumers.add(consumer);
    child.on('message', (message: { type: string; published?: number; effects?: number }) => {
      if (message.type === 'ready') {
        consumer.readyAt = performance.now();
        restartMs.push(consumer.readyAt - spawnedAt);
        firstReady();
      } else if (message.type === 'progress') {
        progressListener({ published: message.published ?? 0, effects: message.effects ?? 0 });
      }
    });
    child.once('exit', () => {
      consumers.delete(consumer);
      if (consumer.readyAt === undefined && child.signalCode !== 'SIGKILL') {
        if (++deadOnArrival >= 3) {
          stopped = true;
          failed(new Error(`3 consumer processes in a row exited before they were ready (see ${logFile})`));
          return;
        }
      } else deadOnArrival = 0;
      // A consumer that died on its own (not killed here) is replaced too.
      if (!stopped && consumers.size < slots) start();
    });
  }

  for (let slot = 0; slot < slots; slot++) start();
  const timer = setInterval(() => {
    const oldest = [...consumers]
      .filter((consumer) => consumer.readyAt !== undefined)
      .sort((a, b) => (a.readyAt as number) - (b.readyAt as number))[0];
    if (!oldest) return;
    kills++;
    oldest.child.kill('SIGKILL');
  }, killEveryMs);

  return {
    ready,
    onProgress(listener: (message: { published: number; effects: number }) => void) {
      progressListener = listener;
    },
    /** Stops killing; the consumers keep running. */
    stopKilling() {
      clearInterval(timer);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      const children = [...consumers].map((consumer) => consumer.child);
      for (const child of children) child.kill('SIGKILL');
      await Promise.all(children.map((child) => waitForExit(child)));
    },
    stats: () => ({
      kills,
      started,
      restart: {
        medianMs: Math.round(percentile(restartMs, 50)),
        p95Ms: Math.round(percentile(restartMs, 95)),
        maxMs: Math.round(Math.max(0, ...restartMs)),
      },
    }),
  };
}

/** Resolves once `check` returns true, polling; false when nothing moved for `stallMs` or at `deadline`. */
async function until(
  progress: () => Promise<number>,
  target: number,
  deadline = Number.POSITIVE_INFINITY,
): Promise<boolean> {
  let last = -1;
  let movedAt = performance.now();
  let reportedAt = performance.now();
  while (true) {
    const now = await progress();
    if (performance.now() - reportedAt > 15_000) {
      reportedAt = performance.now();
      console.log(`  ${now} of ${target} handled`);
    }
    if (now >= target) return true;
    if (performance.now() >= deadline) return false;
    if (now !== last) {
      last = now;
      movedAt = performance.now();
    } else if (performance.now() - movedAt > stallMs) return false;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function serverBackend(kind: BackendKind, logFile: string): Promise<Result> {
  const backend = await createBackend(kind, { eventNames: ['BenchTick'], groups: [sigkillGroup] });
  const database = await openBackendDatabase(backend.address);
  await createBenchTables(database);
  const publisher = createEventBus({
    transport: backendTransport(backend.address, database),
    database,
    catalog: sigkillCatalog,
    relayIntervalMs: 500,
    onError: () => {},
  });
  const pool = consumerPool(backend.address, consumerSlots, logFile);
  try {
    // The group's queue exists once a consumer subscribed; events published before would not reach it.
    await pool.ready;
    const started = performance.now();
    const publishing = (async () => {
      for (let start = 0; start < total; start += 100) {
        await database.db.transaction(async (transaction) => {
          for (let index = start; index < Math.min(total, start + 100); index++) {
            await publisher.publishInTransaction(
              transaction as unknown as Db,
              'BenchTick',
              { index },
              { environment: 'prod', id: eventId(index) },
            );
          }
        });
      }
    })();
    const handled = async () => (await countEffects(database)).rows;
    let complete = await until(handled, total, killForMs > 0 ? started + killForMs : Number.POSITIVE_INFINITY);
    const seconds = (performance.now() - started) / 1000;
    const handledUnderKills = await handled();
    pool.stopKilling();
    // Past --kill-seconds: the rest drains without kills, so every event is still checked.
    if (!complete && killForMs > 0) complete = await until(handled, total);
    await publishing;
    // Kills during the last seconds may leave redeliveries in flight: let them settle before counting.
    await new Promise((resolve) => setTimeout(resolve, 3 * 3_000));
    await pool.stop();
    const effects = await countEffects(database);
    const { kills, started: processes, restart } = pool.stats();
    return {
      backend: `${backendLabels[kind]} (outbox in PostgreSQL)`,
      restart,
      events: total,
      kills,
      consumerProcesses: processes,
      seconds: Math.round(seconds),
      handledUnderKills,
      eventsPerSecond: Math.round((handledUnderKills / seconds) * 10) / 10,
      lost: total - effects.rows,
      handledTwice: effects.twice,
      extraApplications: effects.applied - effects.rows,
      outcome: complete ? 'complete' : 'stalled',
    };
  } finally {
    await pool.stop();
    await publisher.close({ graceful: true, timeoutMs: 2_000 });
    await database.close();
    await backend.cleanup();
  }
}

async function pgliteBackend(logFile: string): Promise<Result> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sy-bench-sigkill-'));
  const address: BackendAddress = { kind: 'pglite', database: dataDir };
  const pool = consumerPool(address, 1, logFile);
  let effects = 0;
  pool.onProgress((message) => {
    effects = message.effects;
  });
  try {
    await pool.ready;
    const started = performance.now();
    const complete = await until(async () => effects, total);
    const seconds = (performance.now() - started) / 1000;
    pool.stopKilling();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await pool.stop();
    // Only now may this process open the directory.
    const database = await openBackendDatabase(address);
    const counted = await countEffects(database);
    const outbox = await database.db.execute<{ count: string | number }>(
      sql`SELECT count(*) AS count FROM event_outbox`,
    );
    await database.close();
    const { kills, started: processes, restart } = pool.stats();
    return {
      backend: `${backendLabels.pglite}, data directory, publisher in the killed process`,
      restart,
      events: total,
      kills,
      consumerProcesses: processes,
      seconds: Math.round(seconds),
      handledUnderKills: counted.rows,
      eventsPerSecond: Math.round((counted.rows / seconds) * 10) / 10,
      lost: total - counted.rows,
      handledTwice: counted.twice,
      extraApplications: counted.applied - counted.rows,
      outcome: complete && Number(outbox.rows[0]?.count ?? 0) === 0 ? 'complete' : 'stalled',
    };
  } finally {
    await pool.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const machine = describeMachine();
async function writeReport(): Promise<void> {
  const load = (numbers: number[]) => numbers.map((value) => value.toFixed(1)).join(' ');
  const lines = [
    `# Event bus under SIGKILL: ${total} events, a consumer process killed every ${killEveryMs / 1000} s`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `PostgreSQL ${machine.postgres ?? '—'}, Redis ${machine.redis ?? '—'}; revision ${machine.revision ?? '—'}; ` +
      `load average ${load(loadAtStart)} at the start, ${load(loadavg())} at the end (the machine is shared).`,
    'Each handled event applies one effect (a row per event id counting its runs) in the same transaction as',
    'the consumed-id record. Lost: events without an effect; handled twice: effects applied more than once.',
    `Server backends: ${consumerSlots} consumer processes, the one up longest killed every interval and replaced; the`,
    'publisher (transactional outbox in PostgreSQL, 100 events per transaction) and relay run in the bench process.',
    ...(killForMs > 0
      ? [
          `Kills stopped after ${killForMs / 1000} s (--kill-seconds); the events not handled by then drained with the`,
          'consumers left alone, so lost and handled twice cover all of them; events/s is over the kill period only.',
        ]
      : []),
    '',
    '| backend | events | handled under kills | kills | consumer processes | consumer start (median / p95 / max) | seconds of kills | events/s under kills | lost | handled twice | outcome |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|',
    ...results.map(
      (result) =>
        `| ${result.backend} | ${result.events} | ${result.handledUnderKills} | ${result.kills} | ${result.consumerProcesses} | ` +
        `${(result.restart.medianMs / 1000).toFixed(2)} / ${(result.restart.p95Ms / 1000).toFixed(2)} / ${(result.restart.maxMs / 1000).toFixed(2)} s | ` +
        `${result.seconds} | ${result.eventsPerSecond} | ${result.lost} | ${result.handledTwice} | ${result.outcome} |`,
    ),
    ...(skipped.length ? ['', `Skipped: ${skipped.join('; ')}.`] : []),
    '',
  ];
  console.log(lines.join('\n'));
  if (values.out) {
    await writeFile(`${values.out}.md`, lines.join('\n'));
    await writeFile(
      `${values.out}.json`,
      `${JSON.stringify({ machine, loadAtStart, loadAtEnd: loadavg(), killEveryMs, results, skipped }, null, 2)}\n`,
    );
  }
}

const results: Result[] = [];
const skipped: string[] = [];
const loadAtStart = loadavg();
const logDir = await mkdtemp(join(tmpdir(), 'sy-bench-sigkill-logs-'));
for (const kind of kinds) {
  const reason = await unavailable(kind);
  if (reason) {
    skipped.push(`${backendLabels[kind]}: ${reason}`);
    continue;
  }
  const logFile = join(logDir, `${kind}.log`);
  console.log(
    `${backendLabels[kind]}: ${total} events, a consumer SIGKILLed every ${killEveryMs} ms (logs: ${logFile})`,
  );
  const result = kind === 'pglite' ? await pgliteBackend(logFile) : await serverBackend(kind, logFile);
  console.log(JSON.stringify(result));
  results.push(result);
  // Written after each backend: a long run keeps what it measured so far.
  await writeReport();
}

const clean = results.every(
  (result) => result.lost === 0 && result.handledTwice === 0 && result.outcome === 'complete',
);
// The consumers' logs stay when something went wrong.
if (clean) await rm(logDir, { recursive: true, force: true }).catch(() => {});
if (bundledConsumer !== consumerSource) await rm(dirname(bundledConsumer), { recursive: true, force: true });
else console.log(`Consumer logs: ${logDir}`);
process.exit(clean ? 0 : 1);
