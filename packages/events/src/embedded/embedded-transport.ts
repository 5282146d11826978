import { hostname } from 'node:os';
import {
  createEventDeliveriesRepository,
  type EventDeliveryRow,
  type StoredEventEnvelope,
  type SwitchyardDatabase,
} from '@switchyard/db';
import { createBatcher, defaultBatchSize } from '../batcher';
import type { Clock } from '../create-event-bus';
import type { CloseOptions, EventEnvelope } from '../event-bus';
import type { ConsumeOptions, EventTransport, TransportDelivery } from '../transport';

export interface EmbeddedTransportOptions {
  /** The control-plane database; several processes may share one PostgreSQL database. */
  database: SwitchyardDatabase;
  clock?: Clock;
  workerId?: string;
  /** A claimed delivery stays this worker's this long without renewal; renewed every third of it. Default 30 s. */
  leaseMs?: number;
  /**
   * Backstop poll for deliveries another process published or that became due. Default 1 s on
   * PostgreSQL and 5 s on PGlite, which only this process opens: its publishes and retries wake the
   * consumers directly, so the poll only finds expired leases.
   */
  pollIntervalMs?: number;
  /** Default for close({ graceful: true }). Default 10 s. */
  shutdownTimeoutMs?: number;
  onError?: (error: unknown, context: string) => void;
  /**
   * Publishes and acks (removed deliveries) go to the database in batches of up to this many:
   * the ones that arrive while a batch is in flight go together in the next. 1: one statement each. Default 100.
   */
  batchSize?: number;
}

/** Other processes on the same PostgreSQL database hear of new deliveries here (payload: the event name). */
const wakeChannel = 'switchyard_event_deliveries';
/** PGlite belongs to one process: transports on it wake each other directly instead of by NOTIFY. */
const localWakers = new WeakMap<SwitchyardDatabase, Set<(name: string) => void>>();

interface Consumer {
  group: string;
  names: readonly string[];
  deliver: (delivery: TransportDelivery) => Promise<void>;
  concurrency: number;
  running: Map<number, Promise<void>>;
  pumping: Promise<void> | undefined;
  pumpAgain: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Deliveries as rows: publishing inserts one row per subscribed consumer group, workers claim
 * rows with `FOR UPDATE SKIP LOCKED` under a lease they renew while the handler runs, a retry
 * moves `run_at` on, and a crashed worker's rows are claimed again once the lease ran out.
 */
export function createEmbeddedTransport(options: EmbeddedTransportOptions): EventTransport {
  const { database } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollIntervalMs = options.pollIntervalMs ?? (database.kind === 'pglite' ? 5_000 : 1_000);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const reportError =
    options.onError ?? ((error: unknown, context: string) => console.warn(`[switchyard/events] ${context}:`, error));
  const repository = createEventDeliveriesRepository(database.db);
  const batchSize = Math.max(1, Math.trunc(options.batchSize ?? defaultBatchSize));
  const consumers: Consumer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let state: 'running' | 'closing' | 'closed' = 'running';
  let crashed = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  const now = () => new Date(clock.now());

  let wakers = localWakers.get(database);
  if (!wakers) {
    wakers = new Set();
    localWakers.set(database, wakers);
  }
  const localWakers_ = wakers;
  const wake = (name: string) => {
    for (const consumer of consumers) if (name === '*' || consumer.names.includes(name)) void pump(consumer);
  };
  localWakers_.add(wake);

  async function enqueue(envelopes: readonly EventEnvelope[]): Promise<void> {
    const names = await repository.enqueueMany(envelopes as StoredEventEnvelope[], now());
    for (const name of names) await announce(name);
  }
  const publishes = createBatcher<EventEnvelope, undefined>(async (envelopes) => {
    await enqueue(envelopes);
    return envelopes.map(() => undefined);
  }, batchSize);
  const removals = createBatcher<number, undefined>(async (ids) => {
    await repository.removeMany(ids, workerId);
    return ids.map(() => undefined);
  }, batchSize);

  async function announce(name: string): Promise<void> {
    for (const waker of [...localWakers_]) waker(name);
    if (database.kind === 'postgres') await database.notify(wakeChannel, name);
  }

  function later(consumer: Consumer, delayMs: number): void {
    if (state !== 'running') return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void pump(consumer);
    }, delayMs + 1);
    timer.unref();
    timers.add(timer);
  }

  function pump(consumer: Consumer): Promise<void> {
    if (state !== 'running') return Promise.resolve();
    if (consumer.pumping) {
      consumer.pumpAgain = true;
      return consumer.pumping;
    }
    clearTimeout(consumer.timer);
    consumer.pumping = claim(consumer)
      .catch((error: unknown) => reportError(error, `claiming events for group '${consumer.group}' failed`))
      .finally(() => {
        consumer.pumping = undefined;
        if (state !== 'running') return;
        if (consumer.pumpAgain) {
          consumer.pumpAgain = false;
          void pump(consumer);
          return;
        }
        consumer.timer = setTimeout(() => void pump(consumer), pollIntervalMs);
        consumer.timer.unref();
      });
    return consumer.pumping;
  }

  async function claim(consumer: Consumer): Promise<void> {
    while (state === 'running') {
      const free = consumer.concurrency - consumer.running.size;
      if (free <= 0) return;
      const rows = await repository.claim({
        groupName: consumer.group,
        eventNames: consumer.names,
        workerId,
        limit: free,
        now: now(),
        lockExpiresAt: new Date(clock.now() + leaseMs),
      });
      for (const row of rows) start(consumer, row);
      if (rows.length < free) {
        // Only when idle: a busy consumer claims again as each delivery finishes.
        if (rows.length > 0) return;
        const next = await repository.nextRunAt(consumer.group, consumer.names);
        if (next) later(consumer, Math.max(0, next.getTime() - clock.now()));
        return;
      }
    }
  }

  function start(consumer: Consumer, row: EventDeliveryRow): void {
    // After a crash-like close the handler's outcome is dropped, as a killed process's would be.
    const settle = async (action: () => Promise<void>) => {
      if (!crashed) await action();
    };
    const delivery: TransportDelivery = {
      envelope: row.envelope as EventEnvelope,
      attempt: row.attempts,
      ack: () => settle(() => removals.add(row.id)),
      deadLetter: () => settle(() => removals.add(row.id)),
      retry: (delayMs) =>
        settle(async () => {
          await repository.retry(row.id, workerId, new Date(clock.now() + delayMs));
          later(consumer, delayMs);
        }),
    };
    const done = consumer
      .deliver(delivery)
      .catch((error: unknown) => reportError(error, 'event delivery failed'))
      .finally(() => {
        consumer.running.delete(row.id);
        void pump(consumer);
      });
    consumer.running.set(row.id, done);
  }

  function renewLeases(): void {
    const ids = consumers.flatMap((consumer) => [...consumer.running.keys()]);
    if (ids.length === 0) return;
    repository
      .renewLeases(workerId, ids, new Date(clock.now() + leaseMs))
      .catch((error: unknown) => reportError(error, 'renewing event leases failed'));
  }

  return {
    backend: 'embedded',

    async publish(envelope) {
      await publishes.add(envelope);
    },

    async publishMany(envelopes) {
      for (let start = 0; start < envelopes.length; start += batchSize) {
        await enqueue(envelopes.slice(start, start + batchSize));
      }
    },

    async sendToGroup(group, envelope) {
      await repository.enqueueForGroup(group, envelope as StoredEventEnvelope, now());
      await announce(envelope.name);
    },

    async consume(group, names, deliver, consumeOptions: ConsumeOptions) {
      await repository.subscribe(group, names);
      if (database.kind === 'postgres' && !unlisten) {
        unlisten = await database.listen(wakeChannel, (name) => wake(name), { onReconnect: () => wake('*') });
      }
      const consumer: Consumer = {
        group,
        names,
        deliver,
        concurrency: consumeOptions.concurrency,
        running: new Map(),
        pumping: undefined,
        pumpAgain: false,
        timer: undefined,
      };
      consumers.push(consumer);
      if (!renewTimer) {
        renewTimer = setInterval(renewLeases, Math.max(50, Math.floor(leaseMs / 3)));
        renewTimer.unref();
      }
      void pump(consumer);
    },

    async close(closeOptions: CloseOptions = {}) {
      if (state !== 'running') return;
      state = 'closing';
      localWakers_.delete(wake);
      for (const timer of timers) clearTimeout(timer);
      for (const consumer of consumers) clearTimeout(consumer.timer);
      await unlisten?.().catch(() => {});
      const graceful = closeOptions.graceful ?? true;
      crashed = !graceful;
      if (graceful) {
        const running = consumers.flatMap((consumer) => [
          ...(consumer.pumping ? [consumer.pumping] : []),
          ...consumer.running.values(),
        ]);
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(running),
          new Promise((resolve) => {
            timeout = setTimeout(resolve, closeOptions.timeoutMs ?? shutdownTimeoutMs);
          }),
        ]);
        clearTimeout(timeout);
      }
      // A crash leaves its leases to run out; so does a graceful close that timed out.
      clearInterval(renewTimer);
      state = 'closed';
    },
  };
}
