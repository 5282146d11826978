import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingDefinitions } from '@switchyard/core';
import { createTestPostgresDatabase, describeDatabaseContract, probePostgres } from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsFolder, openDatabase, type SwitchyardDatabase } from './client';
import { createKeyRepository } from './keys-repository';
import { createSettingsRepository } from './settings-repository';

const migrationCount = (await readdir(migrationsFolder)).filter((file) => file.endsWith('.sql')).length;

async function appliedMigrations(database: SwitchyardDatabase): Promise<number> {
  const result = await database.db.execute<{ total: number }>(
    sql`SELECT count(*)::int AS total FROM drizzle.__drizzle_migrations`,
  );
  return result.rows[0]?.total ?? -1;
}

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'switchyard-db-'));
}

describeDatabaseContract('PGlite in memory', () => openDatabase({ kind: 'pglite', dataDir: null }));

describe('PGlite in a data directory', () => {
  let contractParent: string | undefined;
  describeDatabaseContract(
    'PGlite on disk',
    async () => {
      contractParent = await temporaryDirectory();
      return openDatabase({ kind: 'pglite', dataDir: join(contractParent, 'prod') });
    },
    async () => {
      if (contractParent) await rm(contractParent, { recursive: true, force: true });
    },
  );

  it('creates the directory, keeps data across close and re-open, and does not re-apply migrations', async () => {
    const parent = await temporaryDirectory();
    const dataDir = join(parent, 'nested', 'dev');
    try {
      const first = await openDatabase({ kind: 'pglite', dataDir });
      const key = await createKeyRepository(first.db).create({
        name: 'persisted',
        keyHash: 'f'.repeat(64),
        keyPrefix: 'dev_ffffff',
        environment: 'dev',
        isAdmin: true,
      });
      await createSettingsRepository(first.db).seedDefaults(settingDefinitions);
      await createSettingsRepository(first.db).set('rate_limit.chat.dev', 61);
      expect(await appliedMigrations(first)).toBe(migrationCount);
      await first.close();

      const second = await openDatabase({ kind: 'pglite', dataDir });
      try {
        expect(await createKeyRepository(second.db).findById(key.id)).toEqual(key);
        const stored = await createSettingsRepository(second.db).list();
        expect(stored).toHaveLength(settingDefinitions.length);
        expect(stored.find((row) => row.key === 'rate_limit.chat.dev')?.value).toBe(61);
        expect(await appliedMigrations(second)).toBe(migrationCount);
      } finally {
        await second.close();
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

const postgresProbe = await probePostgres();
if (!postgresProbe.available) {
  console.warn(`[skip] PostgreSQL database contract: ${postgresProbe.reason} (set TEST_DATABASE_URL)`);
}

describe.skipIf(!postgresProbe.available)('PostgreSQL', () => {
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  async function freshDatabaseUrl(): Promise<string> {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
    drops.push(created.drop);
    return created.url;
  }

  describeDatabaseContract('PostgreSQL', async () => openDatabase({ kind: 'postgres', url: await freshDatabaseUrl() }));

  it('lets several processes migrate one fresh database at the same time', async () => {
    const url = await freshDatabaseUrl();
    const opened = await Promise.all(
      Array.from({ length: 4 }, () => openDatabase({ kind: 'postgres', url, poolSize: 2 })),
    );
    try {
      for (const database of opened) expect(await appliedMigrations(database)).toBe(migrationCount);
      const [first, second] = opened;
      if (!first || !second) throw new Error('expected two databases');
      const key = await createKeyRepository(first.db).create({
        name: 'shared',
        keyHash: 'e'.repeat(64),
        keyPrefix: 'prod_eeeeee',
        environment: 'prod',
        isAdmin: false,
      });
      expect(await createKeyRepository(second.db).findById(key.id)).toEqual(key);
    } finally {
      for (const database of opened) await database.close();
    }
  });

  it('survives dropped connections: the pool recovers and the listener reconnects and listens again', async () => {
    const url = await freshDatabaseUrl();
    const reported: string[] = [];
    const database = await openDatabase({
      kind: 'postgres',
      url,
      onError: (_error, context) => reported.push(context),
    });
    try {
      const received: string[] = [];
      let reconnects = 0;
      const unlisten = await database.listen('sy_reconnect', (payload) => received.push(payload), {
        onReconnect: () => {
          reconnects += 1;
        },
      });
      await database.notify('sy_reconnect', 'before');
      await expect.poll(() => received).toEqual(['before']);

      // Three pooled connections sit idle when the server ends every connection to the database.
      await Promise.all([database.ping(), database.ping(), database.ping()]);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
      } finally {
        await admin.end();
      }
      await expect.poll(() => reconnects, { timeout: 10_000 }).toBe(1);
      expect(reported).toContain('notification listener connection lost');
      expect(reported).toContain('idle PostgreSQL connection failed');

      await database.ping();
      await database.notify('sy_reconnect', 'after');
      await expect.poll(() => received).toEqual(['before', 'after']);
      await unlisten();
    } finally {
      await database.close();
    }
  });

  it('fails to open an unreachable server instead of hanging', async () => {
    const started = Date.now();
    await expect(openDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
