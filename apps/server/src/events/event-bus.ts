import type { SecretScrubber, SwitchyardConfig } from '@switchyard/core';
import type { SwitchyardDatabase } from '@switchyard/db';
import {
  createEmbeddedTransport,
  createEventBus,
  createRabbitmqTransport,
  createRedisStreamsTransport,
  type EventBus,
  type EventTransport,
  type PlatformEvents,
  type RetryPolicy,
} from '@switchyard/events';
import type { Logger } from 'pino';

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
  return createEventBus({
    transport,
    database,
    ...(options.outboxDatabases ? { outboxDatabases: options.outboxDatabases } : {}),
    catalog: options.catalog,
    onError,
    scrubErrorMessage: (message) => secrets.scrub(message),
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.purgeIntervalMs === undefined ? {} : { purgeIntervalMs: options.purgeIntervalMs }),
  });
}
