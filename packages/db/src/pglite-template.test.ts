import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchyardDatabase } from './client';
import { openDatabase } from './client';
import { createSettingsRepository } from './settings-repository';

/** Which of the marker tables this database holds. */
async function markers(database: SwitchyardDatabase): Promise<string[]> {
  const result = await database.db.execute(
    sql`SELECT tablename FROM pg_tables WHERE tablename LIKE 'marker_%' ORDER BY tablename`,
  );
  return (result.rows as Array<{ tablename: string }>).map((row) => row.tablename);
}

describe('new PGlite data dirs start from a cached template', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-template-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps the first migrated data dir as the template, and copies it (without later data) for the next', async () => {
    const cache = join(directory, 'cache');
    const first = await openDatabase({ kind: 'pglite', dataDir: join(directory, 'first'), templateCacheDir: cache });
    try {
      // The template is taken at open time, before anything is written.
      await first.db.execute(sql`CREATE TABLE marker_first (x int)`);
      const templates = (await readdir(cache)).filter((name) => name.endsWith('.datadir'));
      expect(templates).toHaveLength(1);
      expect(existsSync(join(cache, templates[0] as string, 'PG_VERSION'))).toBe(true);
      // No temporary copy is left behind.
      expect((await readdir(cache)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      // Migrated from a bare data dir, it records the schema level it reached, named like the template.
      expect(await readFile(join(directory, 'first', 'switchyard-schema-level'), 'utf8')).toBe(
        templates[0]?.replace(/\.datadir$/, '.tar.gz'),
      );
    } finally {
      await first.close();
    }

    const secondDir = join(directory, 'second');
    const second = await openDatabase({ kind: 'pglite', dataDir: secondDir, templateCacheDir: cache });
    try {
      // Migrated (the settings table is there) and without what the first database wrote later.
      expect(await createSettingsRepository(second.db).list()).toEqual([]);
      expect(await markers(second)).toEqual([]);
      await second.db.execute(sql`CREATE TABLE marker_second (x int)`);
    } finally {
      await second.close();
    }
    // The copy is a database of its own: reopened, it keeps its own table, and the template is unchanged.
    const reopened = await openDatabase({ kind: 'pglite', dataDir: secondDir, templateCacheDir: cache });
    try {
      expect(await markers(reopened)).toEqual(['marker_second']);
    } finally {
      await reopened.close();
    }
    const third = await openDatabase({ kind: 'pglite', dataDir: join(directory, 'third'), templateCacheDir: cache });
    try {
      expect(await markers(third)).toEqual([]);
    } finally {
      await third.close();
    }
  }, 120_000);
});
