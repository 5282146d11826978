import { randomUUID } from 'node:crypto';
import { environments, isSwitchyardError, SwitchyardError } from '@switchyard/core';
import {
  createEventsRepository,
  type EventDeadLetterRow,
  eventOutboxChannel,
  type SwitchyardDatabase,
} from '@switchyard/db';
import { Compile, type Validator } from 'typebox/compile';
import { createBatcher, defaultBatchSize } from './batcher';
import { type EventCatalog, type EventDefinition, findEventDefinition } from './catalog';
import type {
  BusActivity,
  DeadLetter,
  EventBus,
  EventEnvelope,
  EventHandler,
  PublishOptions,
  RetryPolicy,
} from './event-bus';
import type { EventTransport, TransportDelivery } from './transport';

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 5 * 60_000,
});

export interface Clock {
  now(): number;
}

export interface EventBusOptions<Catalog extends EventCatalog> {
  transport: EventTransport;
  /** The control-plane database: outbox, consumed event ids, dead letters. */
  database: SwitchyardDatabase;
  /**
   * Other databases whose `event_outbox` the relay publishes too (the dev environment's, where a
   * dev session commits its state change and its events together). One that was never opened
   * (`opened()` false: a lazily opened embedded database nothing used) is left closed and skipped.
   */
  outboxDatabases?: readonly SwitchyardDatabase[];
  catalog: Catalog;
  clock?: Clock;
  /** Defaults for every subscription (tests use milliseconds). */
  retryPolicy?: Partial<RetryPolicy>;
  /** How often the relay looks at the outbox besides when a commit announces a row. Default 1 s; 0: no relay loop. */
  relayIntervalMs?: number;
  /** Consumed event ids are forgotten after this long. Default 7 days. */
  retainConsumedMs?: number;
  /**
   * How often this process purges consumed event ids by itself. Default hourly; 0 when a schedule calls
   * `purgeConsumed` instead (the server's system schedules do, once across all processes).
   */
  purgeIntervalMs?: number;
  onError?: (error: unknown, context: string) => void;
  /** Applied to handler error messages before they are stored with a dead letter. */
  scrubErrorMessage?: (message: string) => string;
  /**
   * Consumed-id checks and records of each group, and the relay's publishes, go to the database
   * (and the backend) in batches of up to this many: events that arrive while a batch is in flight
   * go together in the next one. 1: one round trip per event. Default 100.
   */
  batchSize?: number;
}

const relayBatch = 200;

/** Delay before attempt `failedAttempt + 1`. */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number): number {
  const delay = policy.initialDelayMs * policy.factor ** Math.max(0, failedAttempt - 1);
  return Math.round(Math.min(policy.maxDelayMs, delay));
}

function checkPolicy(policy: RetryPolicy): RetryPolicy {
  const positive = (value: number) => Number.isFinite(value) && value >= 0;
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'maxAttempts must be an integer ≥ 1');
  }
  if (!positive(policy.initialDelayMs) || !positive(policy.maxDelayMs) || !(policy.factor >= 1)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'back-off delays must be ≥ 0 and the factor ≥ 1');
  }
  return policy;
}

const groupPattern = /^[a-z][a-z0-9-]{0,62}$/;

export function createEventBus<Catalog extends EventCatalog>(options: EventBusOptions<Catalog>): EventBus<Catalog> {
  const { transport, database, catalog } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const repository = createEventsRepository(database.db);
  const reportError =
    options.onError ?? ((error: unknown, context: string) => console.warn(`[switchyard/events] ${context}:`, error));
  const scrub = options.scrubErrorMessage ?? ((message: string) => message);
  const basePolicy = checkPolicy({ ...defaultRetryPolicy, ...options.retryPolicy });
  const listeners = new Set<(activity: BusActivity) => void>();
  const validators = new WeakMap<EventDefinition, Validator>();
  const groups = new Set<string>();
  const retainConsumedMs = options.retainConsumedMs ?? 7 * 24 * 60 * 60_000;
  const batchSize = Math.max(1, Math.trunc(options.batchSize ?? defaultBatchSize));
  let closed = false;
  let relaying: Promise<number> | undefined;
  let relayAgain = false;
  const stopRelay: Array<() => Promise<void> | void> = [];

  function emit(activity: BusActivity): void {
    for (const listener of [...listeners]) {
      try {
        listener(activity);
      } catch (error) {
        reportError(error, 'activity listener threw');
      }
    }
  }

  function payloadProblem(definition: EventDefinition, payload: unknown): string | undefined {
    let validator = validators.get(definition);
    if (!validator) {
      validator = Compile(definition.payload);
      validators.set(definition, validator);
    }
    if (validator.Check(payload)) return undefined;
    const problems = validator
      .Errors(payload)
      .slice(0, 5)
      .map((error) => `${error.instancePath || '/'} ${error.message}`);
    return problems.join('; ') || 'does not match the schema';
  }

  function envelopeFor(name: string, payload: unknown, publish: PublishOptions): EventEnvelope {
    const definition = findEventDefinition(catalog, name);
    if (!definition) throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown event '${name}'`);
    if (!environments.includes(publish.environment)) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown environment '${String(publish.environment)}'`);
    }
    const problem = payloadProblem(definition, payload);
    if (problem !== undefined) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `Invalid payload for event '${name}': ${problem}`);
    }
    for (const [field, value] of [
      ['id', publish.id],
      ['flowId', publish.flowId],
    ] as const) {
      if (value !== undefined && !/^[A-Za-z0-9_-]{1,100}$/.test(value)) {
        throw new SwitchyardError('SY_ERR_VALIDATION', `${field} must be 1-100 characters of A-Z a-z 0-9 _ -`);
      }
    }
    return {
      id: publish.id ?? randomUUID(),
      name,
      version: definition.version,
      environment: publish.environment,
      flowId: publish.flowId ?? null,
      payload,
      publishedAt: new Date(clock.now()).toISOString(),
      ...(publish.trace ? { trace: publish.trace } : {}),
    };
  }

  function assertOpen(): void {
    if (closed) throw new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'The event bus is closed');
  }

  /** Backend faults are a dependency outage (503) to callers, not a bug (500). */
  async function unavailableOnFault<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (isSwitchyardError(error)) throw error;
      reportError(error, what);
      throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', `The event bus (${transport.backend}) is unavailable`);
    }
  }

  /** Each database whose outbox the relay reads; `listening` once its commit notifications are heard. */
  const outboxes = [database, ...(options.outboxDatabases ?? []).filter((other) => other !== database)].map(
    (outboxDatabase) => ({
      database: outboxDatabase,
      repository: outboxDatabase === database ? repository : createEventsRepository(outboxDatabase.db),
      listening: false,
    }),
  );

  async function relayOnce(): Promise<number> {
    let relayed = 0;
    let failure: unknown;
    for (const outbox of outboxes) {
      // Reading the outbox of a lazily opened database would open it: one nothing used has no rows.
      if (!outbox.database.opened()) continue;
      listenForCommits(outbox);
      // One database being down does not hold up the others' events.
      try {
        relayed += await relayFrom(outbox);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    return relayed;
  }

  /** Published before deleted: a crash in between publishes again, and consumer groups skip the repeat. */
  async function publishBatch(batch: readonly EventEnvelope[]): Promise<void> {
    for (let start = 0; start < batch.length; start += batchSize) {
      const part = batch.slice(start, start + batchSize);
      if (part.length > 1 && transport.publishMany) await transport.publishMany(part);
      else for (const envelope of part) await transport.publish(envelope);
      for (const envelope of part) emit({ type: 'relayed', event: envelope });
    }
  }

  async function relayFrom(outbox: (typeof outboxes)[number]): Promise<number> {
    let relayed = 0;
    while (true) {
      let taken: number;
      if (outbox.database.kind === 'postgres') {
        // Every process relays: each row is locked by one of them, so it is published once (unless
        // that one crashes before its commit, and the row goes out again).
        taken = await outbox.repository.claimOutbox(relayBatch, (batch) => publishBatch(batch as EventEnvelope[]));
      } else {
        // PGlite has one owner process, whose relays run one at a time; the transport writes to the
        // same single connection, so it cannot wait inside a transaction here.
        const batch = (await outbox.repository.listOutbox(relayBatch)) as EventEnvelope[];
        if (batch.length > 0) {
          await publishBatch(batch);
          await outbox.repository.deleteOutbox(batch.map((envelope) => envelope.id));
        }
        taken = batch.length;
      }
      relayed += taken;
      if (taken < relayBatch) return relayed;
    }
  }

  function relayOutbox(): Promise<number> {
    if (relaying) {
      relayAgain = true;
      return relaying;
    }
    const run = relayOnce().finally(() => {
      relaying = undefined;
      if (relayAgain && !closed) {
        relayAgain = false;
        void relayOutbox().catch((error: unknown) => reportError(error, 'outbox relay failed'));
      }
    });
    relaying = run;
    return run;
  }

  const relayIntervalMs = options.relayIntervalMs ?? 1_000;
  const tick = () => void relayOutbox().catch((error: unknown) => reportError(error, 'outbox relay failed'));

  /** Relays on each commit's NOTIFY from this outbox's database; started once the database is open. */
  function listenForCommits(outbox: (typeof outboxes)[number]): void {
    if (relayIntervalMs <= 0 || outbox.listening || closed) return;
    outbox.listening = true;
    outbox.database
      .listen(eventOutboxChannel, tick)
      .then((unlisten) => {
        if (closed) void unlisten();
        else stopRelay.push(unlisten);
      })
      .catch((error: unknown) => {
        outbox.listening = false;
        reportError(error, 'listening for outbox commits failed');
      });
  }

  if (relayIntervalMs > 0) {
    const timer = setInterval(tick, relayIntervalMs);
    timer.unref();
    stopRelay.push(() => clearInterval(timer));
    for (const outbox of outboxes) if (outbox.database.opened()) listenForCommits(outbox);
    // Rows a crashed process left behind.
    tick();
    const purgeIntervalMs = options.purgeIntervalMs ?? 60 * 60_000;
    if (purgeIntervalMs > 0) {
      const purge = setInterval(
        () => void purgeConsumed().catch((error: unknown) => reportError(error, 'purging consumed event ids failed')),
        purgeIntervalMs,
      );
      purge.unref();
      stopRelay.push(() => clearInterval(purge));
    }
  }

  function purgeConsumed(): Promise<number> {
    return repository.purgeConsumed(new Date(clock.now() - retainConsumedMs));
  }

  function toDeadLetter(row: EventDeadLetterRow): DeadLetter {
    return {
      id: row.id,
      group: row.groupName,
      event: row.envelope as EventEnvelope,
      attempts: row.attempts,
      lastError: row.lastError,
      deadAt: row.deadAt,
    };
  }

  function errorOf(error: unknown): { message: string; code: string | null } {
    if (error instanceof Error) {
      const code = (error as { code?: unknown }).code;
      return {
        message: scrub(error.message || error.name).slice(0, 2_000),
        code: typeof code === 'string' && code.startsWith('SY_ERR_') ? code : null,
      };
    }
    return { message: scrub(String(error)).slice(0, 2_000), code: null };
  }

  /** One per subscription: the group's consumed-id checks and records, batched. */
  interface ConsumedLedger {
    isConsumed(eventId: string): Promise<boolean>;
    markConsumed(eventId: string): Promise<void>;
  }

  function consumedLedger(group: string): ConsumedLedger {
    const checks = createBatcher<string, boolean>(async (ids) => {
      const consumed = await repository.consumedAmong(group, ids);
      return ids.map((id) => consumed.has(id));
    }, batchSize);
    const records = createBatcher<string, undefined>(async (ids) => {
      await repository.markConsumed(group, ids, new Date(clock.now()));
      return ids.map(() => undefined);
    }, batchSize);
    return { isConsumed: (id) => checks.add(id), markConsumed: (id) => records.add(id) };
  }

  async function handleDelivery(
    group: string,
    ledger: ConsumedLedger,
    policy: RetryPolicy,
    // biome-ignore lint/suspicious/noExplicitAny: payloads are checked against the catalog before the handler runs
    handler: EventHandler<any>,
    delivery: TransportDelivery,
  ): Promise<void> {
    const { envelope, attempt } = delivery;
    if (await ledger.isConsumed(envelope.id)) {
      await delivery.ack();
      emit({ type: 'duplicate', group, event: envelope });
      return;
    }
    let failure: { message: string; code: string | null };
    let retryable = true;
    const definition = findEventDefinition(catalog, envelope.name);
    const problem = definition ? payloadProblem(definition, envelope.payload) : 'the event is not in the catalog';
    if (problem !== undefined) {
      failure = { message: `Invalid event '${envelope.name}': ${problem}`, code: 'SY_ERR_VALIDATION' };
      retryable = false;
    } else {
      try {
        let recorded = false;
        await handler(envelope, {
          group,
          attempt,
          maxAttempts: policy.maxAttempts,
          async recordConsumed(transaction) {
            if (!(await repository.recordConsumedIn(transaction, group, envelope.id, new Date(clock.now())))) {
              throw new SwitchyardError(
                'SY_ERR_CONFLICT',
                `Event '${envelope.id}' was already handled by group '${group}'`,
              );
            }
            recorded = true;
          },
        });
        // Recorded before the ack: a crash in between redelivers it, and the record skips it.
        if (!recorded) await ledger.markConsumed(envelope.id);
        await delivery.ack();
        emit({ type: 'handled', group, event: envelope, attempt });
        return;
      } catch (error) {
        failure = errorOf(error);
        if (isSwitchyardError(error) && !error.isRetryable && error.code === 'SY_ERR_VALIDATION') retryable = false;
      }
    }
    if (retryable && attempt < policy.maxAttempts) {
      const delayMs = retryDelayMs(policy, attempt);
      await delivery.retry(delayMs);
      emit({ type: 'retrying', group, event: envelope, attempt, delayMs, error: failure.message });
      return;
    }
    const deadLetterId = randomUUID();
    await repository.addDeadLetter({
      id: deadLetterId,
      groupName: group,
      envelope,
      attempts: attempt,
      lastError: failure,
      deadAt: new Date(clock.now()),
    });
    await delivery.deadLetter();
    emit({ type: 'dead', group, event: envelope, attempt, deadLetterId, error: failure.message });
  }

  return {
    backend: transport.backend,
    catalog,

    async publish(name, payload, publishOptions) {
      assertOpen();
      const envelope = envelopeFor(name, payload, publishOptions);
      await unavailableOnFault('publishing an event failed', () => transport.publish(envelope));
      return envelope as EventEnvelope<never>;
    },

    async publishInTransaction(transaction, name, payload, publishOptions) {
      assertOpen();
      const envelope = envelopeFor(name, payload, publishOptions);
      await repository.insertOutbox(transaction, envelope);
      return envelope as EventEnvelope<never>;
    },

    relayOutbox,

    purgeConsumed,

    async subscribe(group, names, handler, subscribeOptions = {}) {
      assertOpen();
      if (!groupPattern.test(group)) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'A consumer group is 1-63 lower-case letters, digits and -');
      }
      const list = (typeof names === 'string' ? [names] : [...names]) as string[];
      if (list.length === 0) throw new SwitchyardError('SY_ERR_VALIDATION', 'Subscribe to at least one event');
      for (const name of list) {
        if (!findEventDefinition(catalog, name))
          throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown event '${name}'`);
      }
      if (groups.has(group)) throw new Error(`Consumer group '${group}' is already subscribed in this process`);
      groups.add(group);
      const { concurrency = 4, ...retry } = subscribeOptions;
      const policy = checkPolicy({ ...basePolicy, ...retry });
      const ledger = consumedLedger(group);
      await transport.consume(
        group,
        list,
        (delivery) =>
          handleDelivery(group, ledger, policy, handler, delivery).catch((error: unknown) => {
            // The delivery stays unsettled and comes back (lease, pending entry, unacked message).
            reportError(error, `settling event '${delivery.envelope.id}' for group '${group}' failed`);
          }),
        { concurrency },
      );
    },

    async listDeadLetters(listOptions = {}) {
      const rows = await repository.listDeadLetters({
        ...(listOptions.environments ? { environments: listOptions.environments } : {}),
        ...(listOptions.group ? { groupName: listOptions.group } : {}),
        limit: Math.min(Math.max(Math.trunc(listOptions.limit ?? 50), 1), 1_000),
        offset: Math.max(Math.trunc(listOptions.offset ?? 0), 0),
      });
      return rows.map(toDeadLetter);
    },

    async getDeadLetter(id) {
      const row = await repository.findDeadLetter(id);
      return row ? toDeadLetter(row) : undefined;
    },

    async replayDeadLetter(id) {
      assertOpen();
      const row = await repository.takeDeadLetter(id);
      if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No dead letter with id '${id}'`);
      try {
        await transport.sendToGroup(row.groupName, row.envelope as EventEnvelope);
      } catch (error) {
        await repository.addDeadLetter({
          id: row.id,
          groupName: row.groupName,
          envelope: row.envelope,
          attempts: row.attempts,
          lastError: row.lastError,
          deadAt: row.deadAt,
        });
        reportError(error, 'replaying a dead letter failed');
        throw new SwitchyardError(
          'SY_ERR_DEPENDENCY_UNAVAILABLE',
          `The event bus (${transport.backend}) is unavailable`,
        );
      }
      return toDeadLetter(row);
    },

    onActivity(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close(closeOptions) {
      if (closed) return;
      closed = true;
      for (const stop of stopRelay) await Promise.resolve(stop()).catch(() => {});
      await relaying?.catch(() => {});
      await transport.close(closeOptions);
    },
  } as EventBus<Catalog>;
}
