import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SwitchyardDatabase } from './client';

const markerFile = 'switchyard-schema-level';

async function drizzleBookkeepingExists(database: SwitchyardDatabase): Promise<boolean> {
  const result = await database.db.execute(
    sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`,
  );
  return (result.rows[0] as { present: boolean }).present;
}

describe("an embedded data dir's schema-level marker", () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-marker-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('skips the migrator when it matches the migrations, and migrates when it does not', async () => {
    const dataDir = join(directory, 'prod');
    // Made from the default template cache (a copy carries the template's marker): initdb and every
    // migration are pglite-template.test.ts's first database, which checks the marker they leave.
    const first = await openDatabase({ kind: 'pglite', dataDir });
    const level = await readFile(join(dataDir, markerFile), 'utf8');
    expect(level).toMatch(/^template-[0-9a-f]{24}\.tar\.gz$/);
    // Hide the migrator's bookkeeping: a migrator run would then apply every migration again, and fail.
    await first.db.execute(sql`ALTER TABLE drizzle.__drizzle_migrations RENAME TO hidden_migrations`);
    await first.close();

    const skipped = await openDatabase({ kind: 'pglite', dataDir, templateCacheDir: null });
    expect(await drizzleBookkeepingExists(skipped)).toBe(false);
    await skipped.close();

    await writeFile(join(dataDir, markerFile), 'template-000000000000000000000000.tar.gz');
    await expect(openDatabase({ kind: 'pglite', dataDir, templateCacheDir: null })).rejects.toThrow();
    expect(await readFile(join(dataDir, markerFile), 'utf8')).not.toBe(level);
  }, 300_000);
});
