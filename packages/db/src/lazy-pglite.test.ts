import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './client';
import { createSettingsRepository } from './settings-repository';

describe('a lazy PGlite database', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-lazy-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('opens and migrates on its first query, not before', async () => {
    const dataDir = join(directory, 'dev');
    const database = await openDatabase({ kind: 'pglite', dataDir, lazy: true, templateCacheDir: null });
    try {
      expect(existsSync(dataDir)).toBe(false);
      expect(database.isOpening?.()).toBe(false);
      // Concurrent first queries share one open.
      const firstOpen = Promise.all([
        database.db.execute(sql`SELECT 1 AS one`),
        createSettingsRepository(database.db).list(),
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      // A readiness check waits for an open under way instead of timing out on it.
      expect(database.isOpening?.()).toBe(true);
      const [first, second] = await firstOpen;
      expect(database.isOpening?.()).toBe(false);
      expect(first.rows).toEqual([{ one: 1 }]);
      expect(second).toEqual([]);
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      await database.db.transaction(async (transaction) => {
        await transaction.execute(sql`SELECT 2`);
      });
      await database.ping();
    } finally {
      await database.close();
    }
    // Reopened eagerly, the data is there and already migrated.
    const reopened = await openDatabase({ kind: 'pglite', dataDir, templateCacheDir: null });
    await reopened.close();
    // Two PGlite starts without the template cache (initdb, every migration): slow on a busy machine.
  }, 120_000);

  it('closes without ever opening, and refuses queries after close', async () => {
    const dataDir = join(directory, 'never');
    const database = await openDatabase({ kind: 'pglite', dataDir, lazy: true, templateCacheDir: null });
    await database.close();
    expect(existsSync(dataDir)).toBe(false);
    await expect(database.db.execute(sql`SELECT 1`)).rejects.toThrow();
    expect(existsSync(dataDir)).toBe(false);
  });
});
