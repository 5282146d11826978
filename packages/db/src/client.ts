import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import {
  defaultTemplateCacheDir,
  isInitialisedDataDir,
  readTemplate,
  templateFileName,
  writeTemplate,
} from './pglite-template';
import {
  assertChannelName,
  createPostgresListener,
  type DatabaseErrorReporter,
  type ListenOptions,
  type NotificationHandler,
} from './postgres-listener';
import * as schema from './schema';

const pgliteVersion = readPackageVersion('@electric-sql/pglite');

/** The package does not export its package.json, so find it from its entry point. */
function readPackageVersion(name: string): string {
  let directory = dirname(createRequire(import.meta.url).resolve(name));
  while (directory !== dirname(directory)) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name && manifest.version) return manifest.version;
    }
    directory = dirname(directory);
  }
  return 'unknown';
}

export type { DatabaseErrorReporter, ListenOptions, NotificationHandler } from './postgres-listener';

interface CommonDatabaseOptions {
  /** Where connection errors that nobody awaits go (a dropped idle connection, a failed reconnect). */
  onError?: DatabaseErrorReporter;
}

export interface PgliteDatabaseOptions extends CommonDatabaseOptions {
  kind: 'pglite';
  /** `null` keeps the database in memory. */
  dataDir: string | null;
  /**
   * Where dumps of a freshly migrated database are kept so new databases start
   * in about a second instead of running initdb; `null` disables the cache.
   * Default: a per-user cache directory.
   */
  templateCacheDir?: string | null;
}

export interface PostgresDatabaseOptions extends CommonDatabaseOptions {
  kind: 'postgres';
  url: string;
  poolSize?: number;
}

export type DatabaseOptions = PgliteDatabaseOptions | PostgresDatabaseOptions;

/** What PGlite's and node-postgres's raw query results have in common: the rows. */
export interface RowsQueryResultHKT extends PgQueryResultHKT {
  type: RowsResult<this['row'] extends Record<string, unknown> ? this['row'] : Record<string, unknown>>;
}

export interface RowsResult<Row> {
  rows: Row[];
}

/** One Drizzle type for both drivers, so repositories run unchanged on PGlite and PostgreSQL. */
export type Db = PgDatabase<RowsQueryResultHKT, typeof schema>;

export interface SwitchyardDatabase {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Runs `SELECT 1`; throws when the database cannot answer. */
  ping(): Promise<void>;
  /** LISTENs on `channel` (lower-case identifier); resolves to a function that stops this handler. */
  listen(channel: string, handler: NotificationHandler, options?: ListenOptions): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * An arbitrary constant shared by every Switchyard process: holding it serializes
 * migrations, so processes starting together against one fresh database don't race.
 */
const migrationLockKey = 7_310_585_046_277_001;

const migrators = new WeakMap<SwitchyardDatabase, () => Promise<void>>();

/** Applies pending migrations to an open database; `openDatabase` already did, so this is normally a no-op. */
export async function migrateDatabase(database: SwitchyardDatabase): Promise<void> {
  const migrator = migrators.get(database);
  if (!migrator) throw new Error('migrateDatabase needs a database returned by openDatabase');
  await migrator();
}

const defaultErrorReporter: DatabaseErrorReporter = (error, context) => {
  console.warn(`[switchyard/db] ${context}:`, error);
};

/** Opens the database and brings its schema up to date; applying migrations twice is a no-op. */
export async function openDatabase(options: DatabaseOptions): Promise<SwitchyardDatabase> {
  const reportError = options.onError ?? defaultErrorReporter;
  return options.kind === 'pglite'
    ? openPglite(options.dataDir, options.templateCacheDir ?? defaultTemplateCacheDir(), reportError)
    : openPostgres(options.url, options.poolSize ?? 10, reportError);
}

async function openPglite(
  dataDir: string | null,
  templateCacheDir: string | null,
  reportError: DatabaseErrorReporter,
): Promise<SwitchyardDatabase> {
  if (dataDir !== null) await mkdir(dataDir, { recursive: true });
  const fresh = dataDir === null || !isInitialisedDataDir(dataDir);
  const templateName = fresh && templateCacheDir ? await templateFileName(migrationsFolder, pgliteVersion) : null;
  const template = templateName && templateCacheDir ? await readTemplate(templateCacheDir, templateName) : null;
  const options = template ? { loadDataDir: template } : {};
  const client = dataDir === null ? await PGlite.create(options) : await PGlite.create(dataDir, options);
  const db = drizzlePglite({ client, schema });
  const migrate = () => migratePglite(db, { migrationsFolder });
  try {
    await migrate();
    if (templateName && templateCacheDir && !template) await writeTemplate(client, templateCacheDir, templateName);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  const database: SwitchyardDatabase = {
    kind: 'pglite',
    db,
    ping: () => ping(db),
    async listen(channel, handler) {
      assertChannelName(channel);
      // PGlite calls handlers from a microtask, where a throw would be an uncaught exception.
      const unlisten = await client.listen(channel, (payload) => {
        try {
          handler(payload);
        } catch (error) {
          reportError(error, `notification handler for channel '${channel}' threw`);
        }
      });
      return () => unlisten();
    },
    notify: (channel, payload) => notify(db, channel, payload),
    close: () => client.close(),
  };
  migrators.set(database, migrate);
  return database;
}

async function openPostgres(
  url: string,
  poolSize: number,
  reportError: DatabaseErrorReporter,
): Promise<SwitchyardDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle pooled connection that drops emits 'error'; unhandled, it would end the process.
  pool.on('error', (error) => reportError(error, 'idle PostgreSQL connection failed'));
  const db = drizzleNodePostgres({ client: pool, schema });
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  const listener = createPostgresListener(url, reportError);
  const database: SwitchyardDatabase = {
    kind: 'postgres',
    db,
    ping: () => ping(db),
    listen: (channel, handler, listenOptions) => listener.listen(channel, handler, listenOptions),
    notify: (channel, payload) => notify(db, channel, payload),
    async close() {
      await listener.close();
      await pool.end();
    },
  };
  migrators.set(database, () => migratePostgres(pool));
  return database;
}

/** The advisory lock belongs to a session, so the lock and the migration share one connection. */
async function migratePostgres(pool: pg.Pool): Promise<void> {
  const connection = await pool.connect();
  let broken: Error | undefined;
  try {
    await connection.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    try {
      await migrateNodePostgres(drizzleNodePostgres({ client: connection, schema }), { migrationsFolder });
    } finally {
      await connection.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]);
    }
  } catch (error) {
    // Destroy rather than reuse a connection that might still hold the lock.
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    connection.release(broken);
  }
}

async function ping(db: Db): Promise<void> {
  await db.execute(sql`SELECT 1`);
}

async function notify(db: Db, channel: string, payload: string): Promise<void> {
  assertChannelName(channel);
  await db.execute(sql`SELECT pg_notify(${channel}, ${payload})`);
}
