/**
 * The event bus's backends as the benchmarks open them: each run gets its own database (or
 * Redis prefix, RabbitMQ prefix) so queues and consumed ids of one run never weigh on the next.
 * Redis and RabbitMQ keep the bus's bookkeeping in PostgreSQL, as in server mode.
 */
import { randomUUID } from 'node:crypto';
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
import type { BackendAddress, BackendKind } from './event-transports';

export type { BackendAddress, BackendKind } from './event-transports';
export { backendLabels, backendTransport, openBackendDatabase } from './event-transports';

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
