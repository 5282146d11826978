import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lazyOpenRetryDelayMs, openDatabase } from './client';
import { causesOf } from './errors';
import { createSettingsRepository } from './settings-repository';

describe('a lazy PGlite database', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-lazy-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  // The default template cache, as the server's dev database opens: a copy of the migrated template
  // (made by the first database of this run if there is none yet). Opening without it (initdb and every
  // migration, twice) took 22 s of this file's time on a loaded 2-core machine; migrating a bare data
  // dir is schema-marker.test.ts's and pglite-template.test.ts's subject.
  it('opens, with its schema, on its first query, not before', async () => {
    const dataDir = join(directory, 'dev');
    const database = await openDatabase({ kind: 'pglite', dataDir, lazy: true });
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
    const reopened = await openDatabase({ kind: 'pglite', dataDir });
    await reopened.close();
  }, 120_000);

  it('after a failed open refuses uses at once until its backoff has passed, doubling it per failure', async () => {
    expect([1, 2, 3, 4, 5, 6].map(lazyOpenRetryDelayMs)).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    const dataDir = join(directory, 'dev');
    let now = 1_000_000;
    const database = await openDatabase({
      kind: 'pglite',
      dataDir,
      lazy: true,
      templateCacheDir: null,
      clock: () => now,
    });
    // Drizzle wraps the driver's error ('Failed query: …'); the reason is on its cause chain.
    const pingFailure = async () => {
      try {
        await database.ping();
        return 'answered';
      } catch (error) {
        return [...causesOf(error)].map((cause) => cause.message).join(' <- ');
      }
    };
    try {
      // A file where the data dir should be: the open fails.
      await writeFile(dataDir, 'not a directory');
      expect(await pingFailure()).toMatch(/EEXIST/);
      expect(database.openState?.()).toMatchObject({ state: 'failed', retryInMs: 2_000 });
      // The cause is gone, but within the backoff nothing tries: refused without an attempt.
      await rm(dataDir);
      now += 1_999;
      expect(await pingFailure()).toMatch(/next attempt in 1 s/);
      expect(existsSync(dataDir)).toBe(false);
      expect(database.openState?.()).toMatchObject({ state: 'failed', retryInMs: 1 });

      // After it, the next use tries again; a second failure in a row doubles the wait.
      await writeFile(dataDir, 'not a directory');
      now += 1;
      expect(await pingFailure()).toMatch(/EEXIST/);
      expect(database.openState?.()).toMatchObject({ state: 'failed', retryInMs: 4_000 });
      await rm(dataDir);
      now += 3_999;
      expect(await pingFailure()).toMatch(/next attempt in 1 s/);
      expect(existsSync(dataDir)).toBe(false);

      now += 1;
      await database.ping();
      expect(database.openState?.()).toEqual({ state: 'open' });
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    } finally {
      await database.close();
    }
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
