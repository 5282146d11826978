import {
  createDatabaseAudioQuota,
  createDatabaseImageQuota,
  openDatabase,
  type SwitchyardDatabase,
} from '@switchyard/db';
import { createRedisDailyQuota, createRedisImageQuota } from '@switchyard/redis';
import {
  createManualClock,
  createTestPostgresDatabase,
  createTestRedis,
  describeImageQuotaContract,
  errorOf,
  probePostgres,
  redisAvailable,
  testRedisUrl,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageQuota } from './image-quota';

/** One database serves both environments here; the rows carry the environment, as the contract checks. */
const both = (database: SwitchyardDatabase) => ({ prod: database.db, dev: database.db });

describe('database backend on PGlite', () => {
  let database: SwitchyardDatabase;
  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite', dataDir: null });
  });
  afterAll(async () => {
    await database?.close();
  });
  describeImageQuotaContract('database on PGlite', async (clock) =>
    createDatabaseImageQuota(both(database), { clock }),
  );
  describeImageQuotaContract('audio seconds, database on PGlite', async (clock) =>
    createDatabaseAudioQuota(both(database), { clock }),
  );
});

const postgresProbe = await probePostgres();
if (!postgresProbe.available) {
  console.warn(`[skip] database image quota on PostgreSQL: ${postgresProbe.reason} (set TEST_DATABASE_URL)`);
}

describe.skipIf(!postgresProbe.available)('database backend on PostgreSQL', () => {
  let database: SwitchyardDatabase;
  let drop = async () => {};
  beforeAll(async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
    drop = created.drop;
    database = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 10 });
  });
  afterAll(async () => {
    await database?.close();
    await drop();
  });
  describeImageQuotaContract('database on PostgreSQL', async (clock) =>
    createDatabaseImageQuota(both(database), { clock }),
  );
  describeImageQuotaContract('audio seconds, database on PostgreSQL', async (clock) =>
    createDatabaseAudioQuota(both(database), { clock }),
  );
});

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] Redis image quota contract: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('redis backend', () => {
  const cleanups: Array<() => Promise<void>> = [];
  let database: SwitchyardDatabase;
  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite', dataDir: null });
  });
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await database?.close();
  });
  const openRedis = async () => {
    const redis = await createTestRedis();
    cleanups.push(redis.cleanup);
    return redis;
  };

  describeImageQuotaContract('redis, recording in the database', async (clock) => {
    const redis = await openRedis();
    const record = createDatabaseImageQuota(both(database), { clock });
    return createRedisImageQuota(redis.client, { keyPrefix: redis.prefix, clock, record });
  });
  describeImageQuotaContract('audio seconds, redis recording in the database', async (clock) => {
    const redis = await openRedis();
    const record = createDatabaseAudioQuota(both(database), { clock });
    return createRedisDailyQuota(redis.client, { keyPrefix: `${redis.prefix}:audio`, clock, record });
  });

  it('records each unit taken and given back in the database, for reporting', async () => {
    const redis = await openRedis();
    const clock = createManualClock();
    const record = createDatabaseImageQuota(both(database), { clock });
    const quota = createRedisImageQuota(redis.client, { keyPrefix: redis.prefix, clock, record });
    const first = await quota.take('dev', 'key:recorded', 3);
    await quota.take('dev', 'key:recorded', 3);
    expect(await record.usage('dev', 'key:recorded', 3)).toMatchObject({ used: 2 });
    await quota.release('dev', 'key:recorded', first.day);
    expect(await record.usage('dev', 'key:recorded', 3)).toMatchObject({ used: 1 });
  });

  it('gives the unit back when recording it fails, and reports the failure', async () => {
    const redis = await openRedis();
    const clock = createManualClock();
    const working = createDatabaseImageQuota(both(database), { clock });
    let failRecording = true;
    const record: ImageQuota = {
      ...working,
      async take(environment, subject, limit) {
        if (failRecording) throw new Error('the database is down');
        return working.take(environment, subject, limit);
      },
    };
    const quota = createRedisImageQuota(redis.client, { keyPrefix: redis.prefix, clock, record });
    expect(await errorOf(quota.take('prod', 'key:unrecorded', 1))).toMatchObject({ message: 'the database is down' });
    expect(await quota.usage('prod', 'key:unrecorded', 1)).toMatchObject({ allowed: true, used: 0 });
    failRecording = false;
    expect(await quota.take('prod', 'key:unrecorded', 1)).toMatchObject({ allowed: true, used: 1 });
  });

  it('answers SY_ERR_DEPENDENCY_UNAVAILABLE when Redis is unreachable', async () => {
    const redis = await openRedis();
    const gone = redis.client.duplicate();
    await gone.ping();
    const quota = createRedisImageQuota(gone, { keyPrefix: redis.prefix });
    gone.disconnect();
    for (const call of [
      quota.take('prod', 'key:any', 1),
      quota.usage('prod', 'key:any', 1),
      quota.release('prod', 'key:any', '2026-01-01'),
    ]) {
      expect(await errorOf(call)).toMatchObject({ code: 'SY_ERR_DEPENDENCY_UNAVAILABLE' });
    }
  });
});
