import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { migrationsFolder, pgliteClients, type SwitchyardDatabase } from './client';

/**
 * How far a database's schema has come: the number of migrations applied and the timestamp of the
 * last one (drizzle's `created_at`, the journal's `when`). Migration timestamps only grow, so a
 * backup whose `latest` is beyond the code's was made by a newer Switchyard.
 */
export interface MigrationLevel {
  readonly applied: number;
  readonly latest: number | null;
  /** The tag of the last migration (`0016_responses`), when the journal knows it. */
  readonly tag: string | null;
}

interface JournalEntry {
  readonly when: number;
  readonly tag: string;
}

function journal(): JournalEntry[] {
  const text = readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8');
  return (JSON.parse(text) as { entries: JournalEntry[] }).entries;
}

/** The level this build's migrations bring a database to. */
export function codeMigrationLevel(): MigrationLevel {
  const entries = journal();
  const last = entries.at(-1);
  return { applied: entries.length, latest: last?.when ?? null, tag: last?.tag ?? null };
}

/** The level of an open database (what its `drizzle.__drizzle_migrations` table records). */
export async function databaseMigrationLevel(database: SwitchyardDatabase): Promise<MigrationLevel> {
  const result = (await database.db.execute(
    sql`SELECT count(*)::int AS applied, max(created_at)::text AS latest FROM drizzle.__drizzle_migrations`,
  )) as unknown as { rows: Array<{ applied: number; latest: string | null }> };
  const row = result.rows[0];
  const latest = row?.latest ? Number(row.latest) : null;
  return {
    applied: row?.applied ?? 0,
    latest,
    tag: journal().find((entry) => entry.when === latest)?.tag ?? null,
  };
}

/** A consistent copy of an embedded (PGlite) database's data dir, gzipped tar (PGlite's dumpDataDir). */
export async function dumpPgliteDatabase(database: SwitchyardDatabase): Promise<Buffer> {
  const client = pgliteClients.get(database);
  if (!client) throw new Error('dumpPgliteDatabase needs an embedded database opened by openDatabase');
  const dump = await (await client()).dumpDataDir('gzip');
  return Buffer.from(await dump.arrayBuffer());
}

/**
 * Empties a PostgreSQL database before a restore: every schema but the system ones is dropped (with
 * what is in it) and `public` made again, so the dump restores into exactly what it describes.
 */
export async function wipePostgresDatabase(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const schemas = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`,
    );
    await client.query('BEGIN');
    for (const { name } of schemas.rows) await client.query(`DROP SCHEMA "${name.replaceAll('"', '""')}" CASCADE`);
    await client.query('CREATE SCHEMA public');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/** Connects to a PostgreSQL URL and asks its version, without migrating anything (`switchyard doctor`). */
export async function probePostgresUrl(url: string, timeoutMs = 5000): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  await client.connect();
  try {
    const result = await client.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    return result.rows[0]?.version ?? 'unknown';
  } finally {
    await client.end().catch(() => {});
  }
}
