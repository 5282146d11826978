/**
 * Event bus throughput and latency per backend, in one process (one consumer group, concurrency 16):
 *
 * 1. Throughput, per event vs batched: N events published as one burst (32 in flight), and N
 *    events relayed from the outbox; events/s from the first publish (or the relay start) to the
 *    last handled event. "per event" is batchSize 1 (one database round trip per consumed-id check,
 *    record, embedded publish and ack, and one publish per relayed row, as before batching);
 *    "batched" is the default. Both run on the same machine in the same run, so their ratio holds
 *    even when the machine's load moves the absolute figures.
 * 2. Latency at a steady rate: events published on a fixed schedule at 50% and 80% of the
 *    batched burst rate for --seconds; publish→handle p50/p99 counted from each event's
 *    scheduled time (a late publish counts against the bus, no coordinated omission).
 *
 *   npx tsx bench/measure-events.ts [--events 3000] [--seconds 10] [--backends pglite,postgres,redis,rabbitmq]
 *                                   [--out bench/results/<date>-events]
 *
 * Backends that do not answer (TEST_DATABASE_URL, TEST_REDIS_URL, TEST_AMQP_URL) are skipped.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Db, SwitchyardDatabase } from '@switchyard/db';
import { createEventBus, defineEvent, defineEventCatalog, type EventBus } from '@switchyard/events';
import Type from 'typebox';
import {
  type BackendAddress,
  type BackendKind,
  backendLabels,
  backendTransport,
  createBackend,
  openBackendDatabase,
  unavailable,
} from './event-backends';
import { describeMachine } from './machine';
import { summarize } from './stats';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '3000' },
    seconds: { type: 'string', default: '10' },
    backends: { type: 'string', default: 'pglite,postgres,redis,rabbitmq' },
    out: { type: 'string' },
  },
});
const total = Number(values.events);
const steadySeconds = Number(values.seconds);
const kinds = values.backends.split(',') as BackendKind[];
const inFlight = 32;
const concurrency = 16;
const group = 'bench';
const catalog = defineEventCatalog([
  defineEvent('BenchTick', { payload: Type.Object({ index: Type.Integer({ minimum: 0 }) }) }),
]);
type BenchBus = EventBus<typeof catalog>;

const variants = [
  { label: 'per event', batchSize: 1 },
  { label: 'batched', batchSize: undefined },
] as const;
type VariantLabel = (typeof variants)[number]['label'];

interface Throughput {
  eventsPerSecond: number;
  lost: number;
  handledTwice: number;
}

interface BackendResult {
  backend: string;
  burst: Record<VariantLabel, Throughput>;
  relay: Record<VariantLabel, Throughput>;
  steady: Array<{
    percentOfMax: number;
    rate: number;
    events: number;
    p50: number;
    p99: number;
    max: number;
    lost: number;
  }>;
}

const round = (value: number) => Math.round(value * 10) / 10;

/** Opens a fresh backend and bus, runs `body`, closes and deletes everything. */
async function withBus<T>(
  kind: BackendKind,
  batchSize: number | undefined,
  body: (bus: BenchBus, database: SwitchyardDatabase) => Promise<T>,
): Promise<T> {
  const backend = await createBackend(kind, { eventNames: ['BenchTick'], groups: [group] });
  const address: BackendAddress = backend.address;
  const database = await openBackendDatabase(address);
  const bus = createEventBus({
    transport: backendTransport(address, database, batchSize ? { batchSize } : {}),
    database,
    catalog,
    relayIntervalMs: 0,
    onError: () => {},
    ...(batchSize ? { batchSize } : {}),
  });
  try {
    return await body(bus, database);
  } finally {
    await bus.close({ graceful: true, timeoutMs: 2_000 });
    await database.close();
    await backend.cleanup();
  }
}

/** Subscribes the bench group; `onFirst` gets each event's index the first time it is handled. */
async function counting(bus: BenchBus, count: number, onFirst: (index: number) => void) {
  const handled = new Uint32Array(count);
  let unique = 0;
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  await bus.subscribe(
    group,
    'BenchTick',
    (event) => {
      const { index } = event.payload;
      const seen = handled[index] ?? 0;
      handled[index] = seen + 1;
      if (seen === 0) {
        onFirst(index);
        if (++unique === count) finished();
      }
    },
    { concurrency },
  );
  return {
    done,
    tally() {
      let twice = 0;
      for (const seen of handled) if (seen > 1) twice++;
      return { lost: count - unique, handledTwice: twice };
    },
  };
}

async function burst(kind: BackendKind, batchSize: number | undefined): Promise<Throughput> {
  return withBus(kind, batchSize, async (bus) => {
    const counter = await counting(bus, total, () => {});
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < total) {
          const index = next++;
          await bus.publish('BenchTick', { index }, { environment: 'prod', id: randomUUID() });
        }
      }),
    );
    await counter.done;
    return { eventsPerSecond: Math.round(total / ((performance.now() - started) / 1000)), ...counter.tally() };
  });
}

async function relay(kind: BackendKind, batchSize: number | undefined): Promise<Throughput> {
  return withBus(kind, batchSize, async (bus, database) => {
    // Committed beforehand, 100 per transaction; only the relay and the handling are timed.
    for (let start = 0; start < total; start += 100) {
      await database.db.transaction(async (transaction) => {
        for (let index = start; index < Math.min(total, start + 100); index++) {
          await bus.publishInTransaction(transaction as unknown as Db, 'BenchTick', { index }, { environment: 'prod' });
        }
      });
    }
    const counter = await counting(bus, total, () => {});
    const started = performance.now();
    let relayed = 0;
    while (relayed < total) relayed += await bus.relayOutbox();
    await counter.done;
    return { eventsPerSecond: Math.round(total / ((performance.now() - started) / 1000)), ...counter.tally() };
  });
}

async function steady(kind: BackendKind, rate: number) {
  const count = Math.max(1, Math.round(rate * steadySeconds));
  return withBus(kind, undefined, async (bus) => {
    const scheduledAt = new Float64Array(count);
    const latencies: number[] = [];
    const counter = await counting(bus, count, (index) => {
      latencies.push(performance.now() - (scheduledAt[index] ?? 0));
    });
    const started = performance.now();
    const intervalMs = 1000 / rate;
    const publishing: Array<Promise<unknown>> = [];
    let next = 0;
    while (next < count) {
      const now = performance.now();
      while (next < count && started + next * intervalMs <= now) {
        const index = next++;
        scheduledAt[index] = started + index * intervalMs;
        publishing.push(bus.publish('BenchTick', { index }, { environment: 'prod', id: randomUUID() }));
      }
      const wait = started + next * intervalMs - performance.now();
      if (next < count) await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
    await Promise.all(publishing);
    await counter.done;
    const latency = summarize(latencies);
    return {
      rate: Math.round(rate),
      events: count,
      p50: round(latency.p50),
      p99: round(latency.p99),
      max: round(latency.max),
      lost: counter.tally().lost,
    };
  });
}

const results: BackendResult[] = [];
const skipped: string[] = [];
const loadAtStart = loadavg();

for (const kind of kinds) {
  const reason = await unavailable(kind);
  if (reason) {
    skipped.push(`${backendLabels[kind]}: ${reason}`);
    continue;
  }
  const result: BackendResult = {
    backend: backendLabels[kind],
    burst: {} as BackendResult['burst'],
    relay: {} as BackendResult['relay'],
    steady: [],
  };
  for (const variant of variants) {
    result.burst[variant.label] = await burst(kind, variant.batchSize);
    console.log(`${result.backend} burst ${variant.label}: ${result.burst[variant.label].eventsPerSecond} events/s`);
  }
  for (const variant of variants) {
    result.relay[variant.label] = await relay(kind, variant.batchSize);
    console.log(`${result.backend} relay ${variant.label}: ${result.relay[variant.label].eventsPerSecond} events/s`);
  }
  const max = result.burst.batched.eventsPerSecond;
  for (const percentOfMax of [50, 80]) {
    const measured = await steady(kind, (max * percentOfMax) / 100);
    result.steady.push({ percentOfMax, ...measured });
    console.log(`${result.backend} steady ${percentOfMax}%: p50 ${measured.p50} ms, p99 ${measured.p99} ms`);
  }
  results.push(result);
}

const ratio = (after: number, before: number) => (before > 0 ? `×${(after / before).toFixed(2)}` : '—');
const machine = describeMachine();
const load = (values: number[]) => values.map((value) => value.toFixed(1)).join(' ');
const lines = [
  `# Event bus: ${total} events per backend and variant; steady rate for ${steadySeconds} s`,
  '',
  `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
    `PostgreSQL ${machine.postgres ?? '—'}, Redis ${machine.redis ?? '—'}; revision ${machine.revision ?? '—'}; ` +
    `load average ${load(loadAtStart)} at the start, ${load(loadavg())} at the end (the machine is shared).`,
  `One process, one consumer group (concurrency ${concurrency}); every run on a fresh database/prefix. The bus's`,
  'bookkeeping (consumed ids, outbox) is in PostgreSQL for Redis and RabbitMQ, as in server mode.',
  '',
  '## Throughput: per event (batchSize 1) vs batched (default)',
  '',
  '| backend | burst per event | burst batched | ratio | relay per event | relay batched | ratio | lost | handled twice |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map((result) => {
    const all = [result.burst['per event'], result.burst.batched, result.relay['per event'], result.relay.batched];
    return (
      `| ${result.backend} | ${result.burst['per event'].eventsPerSecond} | ${result.burst.batched.eventsPerSecond} | ` +
      `${ratio(result.burst.batched.eventsPerSecond, result.burst['per event'].eventsPerSecond)} | ` +
      `${result.relay['per event'].eventsPerSecond} | ${result.relay.batched.eventsPerSecond} | ` +
      `${ratio(result.relay.batched.eventsPerSecond, result.relay['per event'].eventsPerSecond)} | ` +
      `${all.reduce((sum, run) => sum + run.lost, 0)} | ${all.reduce((sum, run) => sum + run.handledTwice, 0)} |`
    );
  }),
  '',
  'events/s. Burst: publish (32 in flight) → handled. Relay: outbox rows committed beforehand → relayed → handled.',
  '',
  '## Latency at a steady rate (batched), publish → handler start',
  '',
  '| backend | rate (% of batched burst) | events | p50 ms | p99 ms | max ms | lost |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...results.flatMap((result) =>
    result.steady.map(
      (run) =>
        `| ${result.backend} | ${run.rate}/s (${run.percentOfMax}%) | ${run.events} | ${run.p50} | ${run.p99} | ` +
        `${run.max} | ${run.lost} |`,
    ),
  ),
  ...(skipped.length ? ['', `Skipped: ${skipped.join('; ')}.`] : []),
  '',
];
console.log(lines.join('\n'));
if (values.out) {
  await writeFile(`${values.out}.md`, lines.join('\n'));
  await writeFile(
    `${values.out}.json`,
    `${JSON.stringify({ machine, loadAtStart, loadAtEnd: loadavg(), results, skipped }, null, 2)}\n`,
  );
}
process.exit(0);
