import type { Environment } from '@switchyard/core';
import type { Db } from '@switchyard/db';
import type { EventCatalog, EventName, EventPayload } from './catalog';

/** An event as every backend carries it. */
export interface EventEnvelope<Payload = unknown> {
  /** Unique per event; consumer groups record it to handle a redelivered event once. */
  id: string;
  name: string;
  version: number;
  environment: Environment;
  /** The flow (user-visible multi-step process) the event belongs to; SSE followers read by it. */
  flowId: string | null;
  payload: Payload;
  /** ISO 8601. */
  publishedAt: string;
  /**
   * The request (its X-Request-Id) and trace context the event was published for; absent when it was not
   * published while serving one. Handlers run with it, so their log lines and what they publish carry it.
   */
  trace?: EventTrace;
}

/** Where an event came from, as jobs remember it (JobTrace). */
export interface EventTrace {
  requestId?: string;
  traceparent?: string;
  tracestate?: string;
}

export interface PublishOptions {
  environment: Environment;
  flowId?: string;
  /** Set by the server's bus from the request being served (or the event being handled). */
  trace?: EventTrace;
  /** Publishing an id again is harmless: consumer groups that handled it skip it. Default: a new UUID. */
  id?: string;
}

export interface EventContext {
  group: string;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /**
   * Records the event as handled by this group inside the handler's own transaction on the
   * control-plane database, so the handler's state change and the record commit together: a
   * crash after the commit skips the redelivery, a crash before it leaves neither (effects
   * applied exactly once). Throws SY_ERR_CONFLICT, rolling the transaction back, when another
   * delivery of the event recorded it first. Without it the bus records the event after the
   * handler returned (at-least-once: a crash in between handles it again).
   */
  recordConsumed(transaction: Db): Promise<void>;
}

export type EventHandler<Payload> = (event: EventEnvelope<Payload>, context: EventContext) => Promise<void> | void;

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts: number;
  /** Delay before the second attempt. Default 1 s. */
  initialDelayMs: number;
  /** Each further delay is the previous one times this. Default 2. */
  factor: number;
  /** Delays stop growing here. Default 5 minutes. */
  maxDelayMs: number;
}

export interface SubscribeOptions extends Partial<RetryPolicy> {
  /** Events of this group one process handles at the same time (RabbitMQ prefetch). Default 4. */
  concurrency?: number;
}

export interface DeadLetter {
  id: string;
  group: string;
  event: EventEnvelope;
  attempts: number;
  lastError: { message: string; code: string | null };
  deadAt: Date;
}

export interface ListDeadLettersOptions {
  /** Only these environments' dead letters (an admin's own); all when absent. */
  environments?: readonly Environment[];
  group?: string;
  /** Default 50, at most 1,000. */
  limit?: number;
  offset?: number;
}

/** What the bus did with a delivery; tests and metrics wait on these instead of sleeping. */
export type BusActivity =
  | { type: 'handled'; group: string; event: EventEnvelope; attempt: number }
  | { type: 'duplicate'; group: string; event: EventEnvelope }
  | { type: 'retrying'; group: string; event: EventEnvelope; attempt: number; delayMs: number; error: string }
  | { type: 'dead'; group: string; event: EventEnvelope; attempt: number; deadLetterId: string; error: string }
  | { type: 'relayed'; event: EventEnvelope };

export interface CloseOptions {
  /** true (default): stop taking events and let running handlers finish; false: stop at once like a crash. */
  graceful?: boolean;
  timeoutMs?: number;
}

/**
 * Domain events between capabilities: publish / subscribe with a durable queue per consumer
 * group, at-least-once delivery, retries with exponential back-off, dead letters with replay,
 * idempotent consumption and a transactional outbox. One interface over the embedded backend
 * (tables in PGlite or PostgreSQL), Redis Streams and RabbitMQ.
 */
export interface EventBus<Catalog extends EventCatalog = EventCatalog> {
  readonly backend: 'embedded' | 'redis' | 'rabbitmq';
  readonly catalog: Catalog;
  /** Validates name and payload (SY_ERR_VALIDATION) and resolves once the backend stored the event. */
  publish<Name extends EventName<Catalog>>(
    name: Name,
    payload: EventPayload<Catalog, Name>,
    options: PublishOptions,
  ): Promise<EventEnvelope<EventPayload<Catalog, Name>>>;
  /**
   * Writes the event to the outbox through `transaction`, so it commits or rolls back with the
   * caller's state change; the relay publishes it after the commit.
   */
  publishInTransaction<Name extends EventName<Catalog>>(
    transaction: Db,
    name: Name,
    payload: EventPayload<Catalog, Name>,
    options: PublishOptions,
  ): Promise<EventEnvelope<EventPayload<Catalog, Name>>>;
  /** Publishes what the outbox holds and deletes it; the relay loop calls this, tests may too. */
  relayOutbox(): Promise<number>;
  /** Forgets consumed event ids older than the retention; returns how many. A system schedule runs it hourly. */
  purgeConsumed(): Promise<number>;
  /** Starts consuming `names` for consumer group `group` in this process; once per group and instance. */
  subscribe<Name extends EventName<Catalog>>(
    group: string,
    names: Name | readonly Name[],
    handler: EventHandler<EventPayload<Catalog, Name>>,
    options?: SubscribeOptions,
  ): Promise<void>;
  listDeadLetters(options?: ListDeadLettersOptions): Promise<DeadLetter[]>;
  getDeadLetter(id: string): Promise<DeadLetter | undefined>;
  /** Sends the event to its group again with attempts reset; SY_ERR_NOT_FOUND when there is no such dead letter. */
  replayDeadLetter(id: string): Promise<DeadLetter>;
  /** The returned function stops listening. */
  onActivity(listener: (activity: BusActivity) => void): () => void;
  close(options?: CloseOptions): Promise<void>;
}
