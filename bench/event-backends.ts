/**
 * The event bus's backends as the benchmarks open them: each run gets its own database (or
 * Redis prefix, RabbitMQ prefix) so queues and consumed ids of one run never weigh on the next.
 * Redis and RabbitMQ keep the bus's bookkeeping in PostgreSQL, as in server mode.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import {
  createEmbeddedTransport,
  createRabbitmqTransport,
  createRedisStreamsTransport,
  type EventTransport,
} from '@switchyard/events';
import {
  amqpAvailable,
  createTestPostgresDatabase,
  deleteAmqpTopology,
  probePostgres,
  redisAvailable,
  testAmqpUrl,
  testRedisUrl,
  uniqueAmqpPrefix,
} from '@switchyard/testkit';

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

export interface OpenedBackend {
  address: BackendAddress;
  cleanup(): Promise<void>;
}

/** Why a backend cannot run here, or undefined when it can. */
export async function unavailable(kind: BackendKind): Promise<string | undefined> {
  if (kind === 'pglite') return undefined;
  const postgres = await probePostgres();
  if (!postgres.available) return `no PostgreSQL (${postgres.reason})`;
  if (kind === 'redis' && !(await redisAvailable())) return 'no Redis (TEST_REDIS_URL)';
  if (kind === 'rabbitmq' && !(await amqpAvailable())) return 'no RabbitMQ broker (TEST_AMQP_URL)';
  return undefined;
}

/** A fresh backend for one run; `pgliteDir` gives PGlite a data directory other processes can reopen. */
export async function createBackend(
  kind: BackendKind,
  options: { pgliteDir?: string; eventNames?: readonly string[]; groups?: readonly string[] } = {},
): Promise<OpenedBackend> {
  if (kind === 'pglite') {
    return { address: { kind, database: options.pgliteDir ?? null }, cleanup: async () => {} };
  }
  const created = await createTestPostgresDatabase();
  if (!created) throw new Error('PostgreSQL is not available');
  if (kind === 'postgres') return { address: { kind, database: created.url }, cleanup: created.drop };
  if (kind === 'redis') {
    const prefix = `sy-bench-${randomUUID().slice(0, 8)}`;
    return {
      address: { kind, database: created.url, redisUrl: testRedisUrl(), prefix },
      async cleanup() {
        const { Redis } = await import('ioredis');
        const admin = new Redis(testRedisUrl());
        const keys = await admin.keys(`${prefix}:*`);
        if (keys.length > 0) await admin.del(...keys);
        admin.disconnect();
        await created.drop();
      },
    };
  }
  const prefix = uniqueAmqpPrefix();
  return {
    address: { kind, database: created.url, amqpUrl: testAmqpUrl(), prefix },
    async cleanup() {
      const queues = (options.eventNames ?? []).flatMap((name) =>
        (options.groups ?? []).map((group) => `${prefix}${name}.${group}`),
      );
      await deleteAmqpTopology(testAmqpUrl(), {
        queues: [...queues, `${prefix}switchyard.dead-letters`],
        exchanges: [`${prefix}switchyard.events`, `${prefix}switchyard.events.dead-letter`],
      });
      await created.drop();
    },
  };
}

export function openBackendDatabase(address: BackendAddress, poolSize = 20): Promise<SwitchyardDatabase> {
  return address.kind === 'pglite'
    ? openDatabase({ kind: 'pglite', dataDir: address.database })
    : openDatabase({ kind: 'postgres', url: address.database as string, poolSize });
}

export function backendTransport(
  address: BackendAddress,
  database: SwitchyardDatabase,
  options: { batchSize?: number; leaseMs?: number; onError?: (error: unknown, context: string) => void } = {},
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
      });
    case 'rabbitmq':
      return createRabbitmqTransport({ url: address.amqpUrl as string, prefix: address.prefix as string, onError });
  }
}
