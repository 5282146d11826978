/**
 * Opening a benchmark backend's database and transport from its address: all a consumer process
 * imports (no testkit), so a restarted one starts fast.
 */
import { openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import {
  createEmbeddedTransport,
  createRabbitmqTransport,
  createRedisStreamsTransport,
  type EventTransport,
} from '@switchyard/events';

export type BackendKind = 'pglite' | 'postgres' | 'redis' | 'rabbitmq';

export const backendLabels: Record<BackendKind, string> = {
  pglite: 'embedded (PGlite)',
  postgres: 'embedded (PostgreSQL)',
  redis: 'Redis Streams',
  rabbitmq: 'RabbitMQ',
};

/** What a process needs to reach one run's backend (passed to child processes as JSON). */
export interface BackendAddress {
  kind: BackendKind;
  /** PostgreSQL URL, or a PGlite data directory (null: in memory). */
  database: string | null;
  redisUrl?: string;
  amqpUrl?: string;
  prefix?: string;
}

/** `migrate: false`: the schema is current already (the parent migrated it); a PGlite directory always migrates. */
export function openBackendDatabase(
  address: BackendAddress,
  poolSize = 20,
  options: { migrate?: boolean } = {},
): Promise<SwitchyardDatabase> {
  return address.kind === 'pglite'
    ? openDatabase({ kind: 'pglite', dataDir: address.database })
    : openDatabase({ kind: 'postgres', url: address.database as string, poolSize, migrate: options.migrate !== false });
}

export function backendTransport(
  address: BackendAddress,
  database: SwitchyardDatabase,
  options: {
    batchSize?: number;
    /** How soon a killed consumer's events go to another: embedded lease, Redis claim idle time. */
    leaseMs?: number;
    onError?: (error: unknown, context: string) => void;
  } = {},
): EventTransport {
  const onError = options.onError ?? (() => {});
  switch (address.kind) {
    case 'pglite':
    case 'postgres':
      return createEmbeddedTransport({
        database,
        onError,
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
        ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      });
    case 'redis':
      return createRedisStreamsTransport({
        redisUrl: address.redisUrl as string,
        prefix: address.prefix as string,
        onError,
        ...(options.leaseMs ? { claimIdleMs: options.leaseMs, claimIntervalMs: Math.ceil(options.leaseMs / 4) } : {}),
      });
    case 'rabbitmq':
      return createRabbitmqTransport({ url: address.amqpUrl as string, prefix: address.prefix as string, onError });
  }
}
