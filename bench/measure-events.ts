/**
 * Event bus throughput and latency per backend: one process publishes N events (32 in flight)
 * to one consumer group (concurrency 16) in the same process; prints events/s from the first
 * publish to the last handled event, publish→handle p50/p99, and lost / handled-twice counts.
 *
 *   npx tsx bench/measure-events.ts [--events 5000] [--out bench/results/<date>-events]
 *
 * Backends that do not answer (TEST_DATABASE_URL, TEST_REDIS_URL, TEST_AMQP_URL) are skipped.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import {
  createEmbeddedTransport,
  createEventBus,
  createRabbitmqTransport,
  createRedisStreamsTransport,
  defineEvent,
  defineEventCatalog,
  type EventTransport,
} from '@switchyard/events';
import {
  amqpAvailable,
  createTestPostgresDatabase,
  probePostgres,
  redisAvailable,
  testAmqpUrl,
  testRedisUrl,
  uniqueAmqpPrefix,
} from '@switchyard/testkit';
import Type from 'typebox';
import { describeMachine } from './machine';
import { summarize } from './stats';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '5000' }, out: { type: 'string' } },
});
const total = Number(values.events);
const inFlight = 32;
const catalog = defineEventCatalog([
  defineEvent('BenchTick', { payload: Type.Object({ index: Type.Integer({ minimum: 0 }) }) }),
]);

interface Result {
  backend: string;
  events: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  lost: number;
  handledTwice: number;
}

async function measure(
  backend: string,
  database: SwitchyardDatabase,
  transport: () => EventTransport,
): Promise<Result> {
  const bus = createEventBus({ transport: transport(), database, catalog, relayIntervalMs: 0, onError: () => {} });
  const publishedAt = new Float64Array(total);
  const latencies: number[] = [];
  const handled = new Uint32Array(total);
  let unique = 0;
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  await bus.subscribe(
    'bench',
    'BenchTick',
    (event) => {
      const { index } = event.payload;
      const count = handled[index] ?? 0;
      handled[index] = count + 1;
      if (count === 0) {
        latencies.push(performance.now() - (publishedAt[index] ?? 0));
        if (++unique === total) finished();
      }
    },
    { concurrency: 16 },
  );
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const index = next++;
        publishedAt[index] = performance.now();
        await bus.publish('BenchTick', { index }, { environment: 'prod', id: randomUUID() });
      }
    }),
  );
  await done;
  const seconds = (performance.now() - started) / 1000;
  await bus.close({ graceful: true, timeoutMs: 2_000 });
  const latency = summarize(latencies);
  let twice = 0;
  for (const count of handled) if (count > 1) twice++;
  return {
    backend,
    events: total,
    eventsPerSecond: Math.round(total / seconds),
    latencyMs: { p50: round(latency.p50), p99: round(latency.p99), max: round(latency.max) },
    lost: total - unique,
    handledTwice: twice,
  };
}

const round = (value: number) => Math.round(value * 10) / 10;

const results: Result[] = [];
const skipped: string[] = [];

{
  const database = await openDatabase({ kind: 'pglite', dataDir: null });
  results.push(await measure('embedded (PGlite, in memory)', database, () => createEmbeddedTransport({ database })));
  await database.close();
}

const postgres = await probePostgres();
if (postgres.available) {
  const created = await createTestPostgresDatabase();
  if (created) {
    const database = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 20 });
    results.push(await measure('embedded (PostgreSQL)', database, () => createEmbeddedTransport({ database })));
    await database.close();
    await created.drop();
  }
} else skipped.push(`embedded (PostgreSQL): ${postgres.reason}`);

if (await redisAvailable()) {
  const database = await openDatabase({ kind: 'pglite', dataDir: null });
  const prefix = `sy-bench-${randomUUID().slice(0, 8)}`;
  results.push(
    await measure('Redis Streams', database, () => createRedisStreamsTransport({ redisUrl: testRedisUrl(), prefix })),
  );
  const { Redis } = await import('ioredis');
  const admin = new Redis(testRedisUrl());
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
  await database.close();
} else skipped.push('Redis Streams: no Redis');

if (await amqpAvailable()) {
  const database = await openDatabase({ kind: 'pglite', dataDir: null });
  const prefix = uniqueAmqpPrefix();
  results.push(await measure('RabbitMQ', database, () => createRabbitmqTransport({ url: testAmqpUrl(), prefix })));
  const { deleteAmqpTopology } = await import('@switchyard/testkit');
  await deleteAmqpTopology(testAmqpUrl(), {
    queues: [`${prefix}BenchTick.bench`, `${prefix}switchyard.dead-letters`],
    exchanges: [`${prefix}switchyard.events`, `${prefix}switchyard.events.dead-letter`],
  });
  await database.close();
} else skipped.push('RabbitMQ: no broker');

const machine = describeMachine();
const lines = [
  `# Event bus: ${total} events per backend`,
  '',
  `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
    `PostgreSQL ${machine.postgres ?? '—'}, Redis ${machine.redis ?? '—'}; revision ${machine.revision ?? '—'}; ` +
    `load average ${loadavg()
      .map((value) => value.toFixed(1))
      .join(' ')} at the end (the machine is shared).`,
  'One process publishes (32 in flight) to one consumer group (concurrency 16) in the same process; the',
  'bookkeeping (consumed ids) is in PGlite for Redis and RabbitMQ. Latency: publish call → handler start.',
  '',
  '| backend | events/s | p50 ms | p99 ms | max ms | lost | handled twice |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (result) =>
      `| ${result.backend} | ${result.eventsPerSecond} | ${result.latencyMs.p50} | ${result.latencyMs.p99} | ` +
      `${result.latencyMs.max} | ${result.lost} | ${result.handledTwice} |`,
  ),
  ...(skipped.length ? ['', `Skipped: ${skipped.join('; ')}.`] : []),
  '',
];
console.log(lines.join('\n'));
if (values.out) {
  await writeFile(`${values.out}.md`, lines.join('\n'));
  await writeFile(`${values.out}.json`, `${JSON.stringify({ machine, results, skipped }, null, 2)}\n`);
}
process.exit(0);
