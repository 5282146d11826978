import { createTestPostgresDatabase, describeAccountsDatabaseContract, probePostgres } from '@switchyard/testkit';
import { afterAll, describe } from 'vitest';
import { openDatabase } from './client';

describeAccountsDatabaseContract('PGlite in memory', () => openDatabase({ kind: 'pglite', dataDir: null }));

const postgresProbe = await probePostgres();
if (!postgresProbe.available) {
  console.warn(`[skip] PostgreSQL accounts contract: ${postgresProbe.reason} (set TEST_DATABASE_URL)`);
}

describe.skipIf(!postgresProbe.available)('PostgreSQL', () => {
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });
  describeAccountsDatabaseContract('PostgreSQL', async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
    drops.push(created.drop);
    return openDatabase({ kind: 'postgres', url: created.url });
  });
});
