import { randomBytes } from 'node:crypto';
import { openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import {
  contractScrubErrorMessage,
  createTestPostgresDatabase,
  describeJobQueueContract,
  type JobQueueContractFixture,
  probePostgres,
  redisAvailable,
  testRedisUrl,
} from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { describe } from 'vitest';
import { createBullmqJobQueue } from './bullmq/bullmq-job-queue';
import type { JobCatalog } from './catalog';
import { createEmbeddedJobQueue } from './embedded/embedded-job-queue';
import type { Clock, JobQueue } from './job-queue';

/** Errors a queue reports while the test tears its store down under it are expected; others are printed. */
function testErrorReporter(error: unknown, context: string): void {
  const message = error instanceof Error ? error.message : String(error);
  if (/closed|ended|terminat|Connection is closed/i.test(message)) return;
  console.warn(`[job queue contract] ${context}:`, error);
}

async function closeAll(queues: JobQueue[]): Promise<void> {
  await Promise.all(queues.map((queue) => queue.close({ graceful: true, timeoutMs: 200 })));
  queues.length = 0;
}

function embeddedFixture(
  database: SwitchyardDatabase,
  leaseMs: number,
  release: () => Promise<void>,
): JobQueueContractFixture {
  const opened: JobQueue[] = [];
  return {
    injectableClock: true,
    async connect<Catalog extends JobCatalog>(catalog: Catalog, options: { clock?: Clock } = {}) {
      const queue = createEmbeddedJobQueue({
        database,
        catalog,
        ...(options.clock ? { clock: options.clock } : {}),
        // A crashed worker's jobs come back this long after its last renewal.
        leaseMs,
        pollIntervalMs: 50,
        heartbeatIntervalMs: 200,
        shutdownTimeoutMs: 2_000,
        onError: testErrorReporter,
        scrubErrorMessage: contractScrubErrorMessage,
      });
      opened.push(queue as unknown as JobQueue);
      return queue;
    },
    async reset() {
      await closeAll(opened);
      await database.db.execute(sql`DELETE FROM jobs`);
      await database.db.execute(sql`DELETE FROM job_workers`);
    },
    async cleanup() {
      await closeAll(opened);
      await database.close();
      await release();
    },
  };
}

// PGlite runs its queries on this test's own thread, and a backlog of them is worked off without
// letting timers run: under the durability test's load, lease renewals are held up for up to ~0.7 s,
// and for over 2 s on a 2-core machine running other suites (a live worker's job then ran twice).
// On PostgreSQL a 500 ms lease ran out the same way at a load average of 14 (the job's second attempt
// repeated its progress events). The crash test moves an injected clock past the lease, so only the
// durability test waits for it in real time: up to one lease after the last kill.
const leaseMs = 5_000;

describeJobQueueContract('embedded on PGlite', async () =>
  embeddedFixture(await openDatabase({ kind: 'pglite', dataDir: null }), leaseMs, async () => {}),
);

const postgresProbe = await probePostgres();
if (!postgresProbe.available) {
  console.warn(`[skip] embedded job queue on PostgreSQL: ${postgresProbe.reason} (set TEST_DATABASE_URL)`);
}

describe.skipIf(!postgresProbe.available)('PostgreSQL', () => {
  describeJobQueueContract('embedded on PostgreSQL', async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
    return embeddedFixture(
      await openDatabase({ kind: 'postgres', url: created.url, poolSize: 10 }),
      leaseMs,
      created.drop,
    );
  });
});

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] BullMQ job queue contract: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('Redis', () => {
  describeJobQueueContract('BullMQ on Redis', async () => {
    const admin = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    const opened: JobQueue[] = [];
    const newPrefix = () => `sy-test-${randomBytes(6).toString('hex')}`;
    let prefix = newPrefix();
    const deleteKeys = async () => {
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
    };
    return {
      // BullMQ schedules delayed jobs by the Redis server's time.
      injectableClock: false,
      async connect<Catalog extends JobCatalog>(catalog: Catalog) {
        const queue = createBullmqJobQueue({
          redisUrl: testRedisUrl(),
          catalog,
          prefix,
          // A crashed worker's lock runs out after a second; others look for such jobs twice a second.
          lockDurationMs: 1_000,
          stalledIntervalMs: 500,
          heartbeatIntervalMs: 200,
          shutdownTimeoutMs: 2_000,
          onError: testErrorReporter,
          scrubErrorMessage: contractScrubErrorMessage,
        });
        opened.push(queue as unknown as JobQueue);
        return queue;
      },
      async reset() {
        await closeAll(opened);
        await deleteKeys();
        prefix = newPrefix();
      },
      async cleanup() {
        await closeAll(opened);
        await deleteKeys();
        admin.disconnect();
      },
    };
  });
});
