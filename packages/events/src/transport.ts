import type { CloseOptions, EventEnvelope } from './event-bus';

/** One delivery of an event to a consumer group; exactly one of the three settles it. */
export interface TransportDelivery {
  envelope: EventEnvelope;
  /** 1 for the first attempt of this group. */
  attempt: number;
  ack(): Promise<void>;
  /** Delivers it to the same group again after `delayMs`, as attempt `attempt + 1`. */
  retry(delayMs: number): Promise<void>;
  /** Takes it off the group's queue for good (the bus has stored the dead letter). */
  deadLetter(): Promise<void>;
}

export interface ConsumeOptions {
  concurrency: number;
}

/**
 * What a backend provides: durable queues per consumer group and the timing of retries. The
 * bus keeps the rest (validation, idempotency, dead letters, outbox) the same on every backend.
 */
export interface EventTransport {
  readonly backend: 'embedded' | 'redis' | 'rabbitmq';
  /** Resolves once the event is durably stored for every group subscribed to its name. */
  publish(envelope: EventEnvelope): Promise<void>;
  /** `publish` for several events in fewer round trips, in their order; the outbox relay uses it. */
  publishMany?(envelopes: readonly EventEnvelope[]): Promise<void>;
  /** For one group only, as a first attempt (a dead letter replayed). */
  sendToGroup(group: string, envelope: EventEnvelope): Promise<void>;
  /** Creates the group's durable queue for `names` and starts delivering; events published before are not. */
  consume(
    group: string,
    names: readonly string[],
    deliver: (delivery: TransportDelivery) => Promise<void>,
    options: ConsumeOptions,
  ): Promise<void>;
  close(options?: CloseOptions): Promise<void>;
}
