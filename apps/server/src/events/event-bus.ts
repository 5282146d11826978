import type { SecretScrubber, SwitchyardConfig } from '@switchyard/core';
import type { SwitchyardDatabase } from '@switchyard/db';
import {
  createEmbeddedTransport,
  createEventBus,
  createRabbitmqTransport,
  createRedisStreamsTransport,
  type EventBus,
  type EventTrace,
  type EventTransport,
  type PlatformEvents,
  type RetryPolicy,
} from '@switchyard/events';
import type { Logger } from 'pino';
import type { Tracing } from '../edge/tracing';

/** The bus every capability publishes to and subscribes its consumer groups on. */
export type PlatformEventBus = EventBus<PlatformEvents>;

export interface EventBusOptions {
  config: Pick<SwitchyardConfig, 'eventsUrl'>;
  /** The control-plane database: the embedded backend's queues, and on every backend the outbox, consumed ids and dead letters. */
  database: SwitchyardDatabase;
  /** The other environments' databases: their outboxes are relayed too (a dev database never opened stays closed). */
  outboxDatabases?: readonly SwitchyardDatabase[];
  catalog: PlatformEvents;
  logger: Logger;
  secrets: SecretScrubber;
  /** Test hook: milliseconds instead of seconds. */
  retryPolicy?: Partial<RetryPolicy>;
  /** 0: this process does not purge consumed event ids on its own timer (a system schedule does). */
  purgeIntervalMs?: number;
  /** Test hook: Redis keys / RabbitMQ names start with this instead of the defaults. */
  prefix?: string;
  /** The trace context published events carry; null or absent: the request id only. */
  tracing?: Tracing | null;
}

/** `EVENTS_URL`: redis(s):// for Redis Streams, amqp(s):// for RabbitMQ; unset keeps events in the database. */
export function createPlatformEventBus(options: EventBusOptions): PlatformEventBus {
  const { config, database, logger, secrets } = options;
  const onError = (error: unknown, context: string) =>
    logger.error(
      { reason: secrets.scrub(error instanceof Error ? error.message : String(error)), context },
      'event bus error',
    );
  const url = config.eventsUrl;
  let transport: EventTransport;
  if (url === null) transport = createEmbeddedTransport({ database, onError });
  else if (/^rediss?:/.test(url)) {
    transport = createRedisStreamsTransport({
      redisUrl: url,
      onError,
      ...(options.prefix ? { prefix: `${options.prefix}events` } : {}),
    });
  } else transport = createRabbitmqTransport({ url, onError, ...(options.prefix ? { prefix: options.prefix } : {}) });
  const bus = createEventBus({
    transport,
    database,
    ...(options.outboxDatabases ? { outboxDatabases: options.outboxDatabases } : {}),
    catalog: options.catalog,
    onError,
    scrubErrorMessage: (message) => secrets.scrub(message),
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.purgeIntervalMs === undefined ? {} : { purgeIntervalMs: options.purgeIntervalMs }),
  });
  return withRequestTrace(bus, options.tracing ?? null);
}

/**
 * Events remember the request they were published for, as jobs do: the publisher passes its id
 * (`trace: { requestId: request.id }`, see requestTrace), the trace context is added when tracing. A handler
 * that logs, publishes or enqueues for an event passes `event.trace?.requestId` on (handlerLog,
 * requestTrace), so one id follows a request through a chain of events.
 */
export function withRequestTrace(bus: PlatformEventBus, tracing: Tracing | null): PlatformEventBus {
  if (tracing === null) return bus;
  const traced = <Options extends { trace?: EventTrace }>(options: Options): Options => {
    const carrier = tracing.carrier();
    if (carrier === null) return options;
    return { ...options, trace: { ...options.trace, ...carrier } };
  };
  const publish: PlatformEventBus['publish'] = (name, payload, options) => bus.publish(name, payload, traced(options));
  const publishInTransaction: PlatformEventBus['publishInTransaction'] = (transaction, name, payload, options) =>
    bus.publishInTransaction(transaction, name, payload, traced(options));
  return Object.assign(Object.create(bus) as PlatformEventBus, { publish, publishInTransaction });
}

/** The logger a handler of `event` logs with: its lines carry the request id of the event's origin as `reqId`. */
export function handlerLog<L extends Pick<Logger, 'child'>>(logger: L, event: { trace?: EventTrace | null }): L {
  const requestId = event.trace?.requestId;
  return requestId ? (logger.child({ reqId: requestId }) as unknown as L) : logger;
}
