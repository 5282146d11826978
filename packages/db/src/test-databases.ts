import { createTestPostgresDatabase, probePostgres } from '@switchyard/testkit';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase, type SwitchyardDatabase } from './client';

const postgresProbe = await probePostgres();

type Suite = (database: () => SwitchyardDatabase, backend: SwitchyardDatabase['kind']) => void;

/**
 * For the repository tests: runs a suite on in-memory PGlite and, when TEST_DATABASE_URL (or the
 * default) reaches a server, on a fresh PostgreSQL database, since embedded and server mode must
 * answer the same. The suite reads the opened, migrated database through the getter (it opens in
 * beforeAll); the backend's kind is there at collection time, for the rare test only one can run.
 */
export function describeOnEachDatabase(name: string, suite: Suite): void {
  describeOn(
    `${name} (PGlite in memory)`,
    async () => ({ database: await openDatabase({ kind: 'pglite', dataDir: null }) }),
    'pglite',
    suite,
  );
  if (!postgresProbe.available) {
    console.warn(`[skip] ${name} on PostgreSQL: ${postgresProbe.reason} (set TEST_DATABASE_URL)`);
    return;
  }
  describeOn(
    `${name} (PostgreSQL)`,
    async () => {
      const created = await createTestPostgresDatabase();
      if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
      return { database: await openDatabase({ kind: 'postgres', url: created.url }), drop: created.drop };
    },
    'postgres',
    suite,
  );
}

function describeOn(
  title: string,
  open: () => Promise<{ database: SwitchyardDatabase; drop?: () => Promise<void> }>,
  backend: SwitchyardDatabase['kind'],
  suite: Suite,
): void {
  describe(title, () => {
    let opened: { database: SwitchyardDatabase; drop?: () => Promise<void> } | undefined;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.database.close();
      await opened?.drop?.();
    });
    suite(() => {
      if (!opened) throw new Error('the database is not open yet');
      return opened.database;
    }, backend);
  });
}
