import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { CloseOptions, EventEnvelope } from '../event-bus';
import type { ConsumeOptions, EventTransport, TransportDelivery } from '../transport';

export interface RedisStreamsTransportOptions {
  redisUrl: string;
  /** Prefix of every key (tests use a unique one each). Default `sy:events`. */
  prefix?: string;
  /** This process's consumer name within each group. */
  consumerName?: string;
  /** An entry another consumer took and left unacknowledged this long is claimed (XAUTOCLAIM). Default 60 s. */
  claimIdleMs?: number;
  /** How often stalled entries are looked for. Default 5 s. */
  claimIntervalMs?: number;
  /** How often due retries are moved to their group's retry stream. Default 250 ms. */
  retryPollMs?: number;
  /** XREADGROUP BLOCK. Default 2 s. */
  blockMs?: number;
  /** Streams are trimmed (approximately) to this many entries. Default 1,000,000. */
  maxStreamLength?: number;
  shutdownTimeoutMs?: number;
  onError?: (error: unknown, context: string) => void;
}

/** What every stream entry holds, in its one field `entry`. */
interface StreamEntry {
  envelope: EventEnvelope;
  attempt: number;
  /** Keeps two retries of one event apart in the sorted set. */
  nonce?: string;
}

type RawEntry = [id: string, fields: string[]] | null;

/** Moves due retries into the group's retry stream; one script, so nothing is lost or doubled in between. */
const moveDueScript = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'entry', member)
  redis.call('ZREM', KEYS[1], member)
end
return #due`;

interface Consumer {
  group: string;
  streams: string[];
  retryStream: string;
  delayed: string;
  deliver: (delivery: TransportDelivery) => Promise<void>;
  concurrency: number;
  running: Map<string, Promise<void>>;
  reader: Redis;
  slotFreed: (() => void) | undefined;
  loop: Promise<void> | undefined;
}

/**
 * Redis Streams: a stream per event, a consumer group per bus consumer group. A failed attempt
 * is acknowledged and parked in the group's sorted set of delayed retries, which a timer moves
 * into the group's private retry stream when due; entries a crashed consumer left pending are
 * claimed with XAUTOCLAIM.
 */
export function createRedisStreamsTransport(options: RedisStreamsTransportOptions): EventTransport {
  const prefix = options.prefix ?? 'sy:events';
  const consumerName = options.consumerName ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const claimIdleMs = options.claimIdleMs ?? 60_000;
  const claimIntervalMs = options.claimIntervalMs ?? 5_000;
  const retryPollMs = options.retryPollMs ?? 250;
  const blockMs = options.blockMs ?? 2_000;
  const maxStreamLength = options.maxStreamLength ?? 1_000_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const reportError =
    options.onError ?? ((error: unknown, context: string) => console.warn(`[switchyard/events] ${context}:`, error));
  const consumers: Consumer[] = [];
  const timers: NodeJS.Timeout[] = [];
  let state: 'running' | 'closing' | 'closed' = 'running';
  let crashed = false;
  // ioredis is loaded on first use: a process that uses another transport, or a consumer that has
  // just been restarted, does not pay for evaluating it up front.
  let client: Promise<Redis> | undefined;
  const connection = (): Promise<Redis> => {
    // A client created after close would never be disconnected and would keep the process alive.
    if (state === 'closed') return Promise.reject(new Error('the Redis transport is closed'));
    // The default export: bundlers and Node agree on it for this CommonJS package, not on the named one.
    client ??= import('ioredis').then(({ default: Redis }) => {
      const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
      redis.on('error', (error) => reportError(error, 'Redis connection error'));
      return redis;
    });
    return client;
  };

  const streamKey = (name: string) => `${prefix}:stream:${name}`;
  const retryStreamKey = (group: string) => `${prefix}:retry:${group}`;
  const delayedKey = (group: string) => `${prefix}:delayed:${group}`;

  function encode(entry: StreamEntry): string {
    return JSON.stringify(entry);
  }

  function decode(raw: RawEntry): { id: string; entry: StreamEntry } | undefined {
    if (!raw) return undefined;
    const [id, fields] = raw;
    const index = fields.indexOf('entry');
    const value = index >= 0 ? fields[index + 1] : undefined;
    if (value === undefined) return undefined;
    return { id, entry: JSON.parse(value) as StreamEntry };
  }

  async function createGroup(stream: string, group: string): Promise<void> {
    try {
      await (await connection()).xgroup('CREATE', stream, group, '$', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  }

  function start(consumer: Consumer, stream: string, id: string, entry: StreamEntry): void {
    const key = `${stream} ${id}`;
    if (consumer.running.has(key)) return;
    const isRetryStream = stream === consumer.retryStream;
    const settle = async (build: (multi: ReturnType<Redis['multi']>) => void) => {
      if (crashed) return;
      const multi = (await connection()).multi();
      build(multi);
      multi.xack(stream, consumer.group, id);
      // The retry stream is this group's alone; the event streams are shared with other groups.
      if (isRetryStream) multi.xdel(stream, id);
      await multi.exec();
    };
    const delivery: TransportDelivery = {
      envelope: entry.envelope,
      attempt: entry.attempt,
      ack: () => settle(() => {}),
      deadLetter: () => settle(() => {}),
      retry: (delayMs) =>
        settle((multi) => {
          const next: StreamEntry = { envelope: entry.envelope, attempt: entry.attempt + 1, nonce: randomUUID() };
          multi.zadd(consumer.delayed, Date.now() + delayMs, encode(next));
        }),
    };
    const done = consumer
      .deliver(delivery)
      .catch((error: unknown) => reportError(error, 'event delivery failed'))
      .finally(() => {
        consumer.running.delete(key);
        consumer.slotFreed?.();
      });
    consumer.running.set(key, done);
  }

  async function read(consumer: Consumer): Promise<void> {
    while (state === 'running') {
      const free = consumer.concurrency - consumer.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          consumer.slotFreed = resolve;
        });
        consumer.slotFreed = undefined;
        continue;
      }
      try {
        const keys = [...consumer.streams, consumer.retryStream];
        const result = (await consumer.reader.call(
          'XREADGROUP',
          'GROUP',
          consumer.group,
          consumerName,
          'COUNT',
          free,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...keys,
          ...keys.map(() => '>'),
        )) as Array<[string, RawEntry[]]> | null;
        for (const [stream, entries] of result ?? []) {
          for (const raw of entries) {
            const decoded = decode(raw);
            if (decoded) start(consumer, stream, decoded.id, decoded.entry);
          }
        }
      } catch (error) {
        if (state !== 'running') return;
        reportError(error, `reading events for group '${consumer.group}' failed`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, blockMs)));
      }
    }
  }

  async function moveDue(consumer: Consumer): Promise<void> {
    await (await connection()).eval(moveDueScript, 2, consumer.delayed, consumer.retryStream, Date.now());
  }

  async function claimStalled(consumer: Consumer): Promise<void> {
    const redis = await connection();
    for (const stream of [...consumer.streams, consumer.retryStream]) {
      const free = consumer.concurrency - consumer.running.size;
      if (free <= 0 || state !== 'running') return;
      const [, entries] = (await redis.xautoclaim(
        stream,
        consumer.group,
        consumerName,
        claimIdleMs,
        '0-0',
        'COUNT',
        free,
      )) as [string, RawEntry[], string[]];
      for (const raw of entries) {
        const decoded = decode(raw);
        if (decoded) start(consumer, stream, decoded.id, decoded.entry);
      }
    }
  }

  function every(intervalMs: number, task: () => Promise<void>, context: string): void {
    const timer = setInterval(() => {
      if (state === 'running') task().catch((error: unknown) => reportError(error, context));
    }, intervalMs);
    timer.unref();
    timers.push(timer);
  }

  return {
    backend: 'redis',

    async publish(envelope) {
      await (await connection()).xadd(
        streamKey(envelope.name),
        'MAXLEN',
        '~',
        maxStreamLength,
        '*',
        'entry',
        encode({ envelope, attempt: 1 }),
      );
    },

    async publishMany(envelopes) {
      // One round trip; a pipeline keeps the order, and an event added twice is handled once.
      const pipeline = (await connection()).pipeline();
      for (const envelope of envelopes) {
        pipeline.xadd(
          streamKey(envelope.name),
          'MAXLEN',
          '~',
          maxStreamLength,
          '*',
          'entry',
          encode({ envelope, attempt: 1 }),
        );
      }
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    },

    async sendToGroup(group, envelope) {
      await (await connection()).xadd(retryStreamKey(group), '*', 'entry', encode({ envelope, attempt: 1 }));
    },

    async consume(group, names, deliver, consumeOptions: ConsumeOptions) {
      const consumer: Consumer = {
        group,
        streams: names.map(streamKey),
        retryStream: retryStreamKey(group),
        delayed: delayedKey(group),
        deliver,
        concurrency: consumeOptions.concurrency,
        running: new Map(),
        reader: (await connection()).duplicate(),
        slotFreed: undefined,
        loop: undefined,
      };
      consumer.reader.on('error', (error) => reportError(error, 'Redis connection error'));
      for (const stream of [...consumer.streams, consumer.retryStream]) await createGroup(stream, group);
      consumers.push(consumer);
      consumer.loop = read(consumer);
      every(retryPollMs, () => moveDue(consumer), `moving due retries of group '${group}' failed`);
      every(claimIntervalMs, () => claimStalled(consumer), `claiming stalled events of group '${group}' failed`);
      // A consumer that starts (often the replacement of one that died) takes over stalled entries at
      // once rather than a claim interval later: under frequent crashes that wait was most of its life.
      claimStalled(consumer).catch((error: unknown) =>
        reportError(error, `claiming stalled events of group '${group}' failed`),
      );
    },

    async close(closeOptions: CloseOptions = {}) {
      if (state !== 'running') return;
      state = 'closing';
      for (const timer of timers) clearInterval(timer);
      const graceful = closeOptions.graceful ?? true;
      crashed = !graceful;
      for (const consumer of consumers) {
        consumer.reader.disconnect();
        consumer.slotFreed?.();
      }
      if (graceful) {
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(consumers.flatMap((consumer) => [...consumer.running.values()])),
          new Promise((resolve) => {
            timeout = setTimeout(resolve, closeOptions.timeoutMs ?? shutdownTimeoutMs);
          }),
        ]);
        clearTimeout(timeout);
      }
      await Promise.all(consumers.map((consumer) => consumer.loop?.catch(() => {})));
      state = 'closed';
      (await client)?.disconnect();
    },
  };
}
