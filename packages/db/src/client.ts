import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { assertChannelName } from './channel-name';
import { DatabaseOpenError } from './errors';
import { startAutoAnalyze } from './pglite-analyze';
import { takePgliteArtifacts } from './pglite-artifacts';
import {
  copyTemplateDir,
  defaultTemplateCacheDir,
  isInitialisedDataDir,
  readTemplate,
  templateDirName,
  templateFileName,
  writeTemplate,
  writeTemplateDir,
} from './pglite-template';
import type { DatabaseErrorReporter, ListenOptions, NotificationHandler } from './postgres-listener';
import * as schema from './schema';

// The drivers (PGlite's WebAssembly build, node-postgres) are imported by the open function that
// needs them: server mode never loads PGlite, embedded mode never loads pg.
let pgliteVersion: string | undefined;
/** A hash of the migrations (and the PGlite version), computed once per process. */
let schemaLevel: Promise<string> | undefined;

/**
 * A file in an embedded data dir naming the migrations last applied to it in full. When it matches
 * the migrations on disk, an open skips Drizzle's migrator (reading and hashing every migration,
 * then its bookkeeping queries: ~0.15 s of CPU and ~10 MB per start). Written only after a
 * successful migration; a data dir without it (older, restored, copied) is migrated as before.
 */
const schemaMarkerFile = 'switchyard-schema-level';

async function readSchemaMarker(dataDir: string): Promise<string | null> {
  return readFile(join(dataDir, schemaMarkerFile), 'utf8').catch(() => null);
}

/** Best effort: without the marker the next open only migrates (a no-op) again. */
async function writeSchemaMarker(dataDir: string, level: string): Promise<void> {
  await writeFile(join(dataDir, schemaMarkerFile), level).catch(() => {});
}

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

/**
 * Wraps each query (tracing: one span per statement). Given the statement's SQL text (placeholders,
 * never values) and the call that runs it; returns what the call returns. `parameters` are the
 * values bound to the placeholders, for tests that attribute statements; spans never record them.
 */
export type QueryTracer = <T>(statement: string, run: () => Promise<T>, parameters?: readonly unknown[]) => Promise<T>;

interface CommonDatabaseOptions {
  /** Where connection errors that nobody awaits go (a dropped idle connection, a failed reconnect). */
  onError?: DatabaseErrorReporter;
  /** Wraps every query; absent, queries run unwrapped (no cost). */
  tracer?: QueryTracer;
}

/** What a node-postgres pool is doing; null for the embedded database (one in-process connection). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/** The SQL text of a query call's first argument (a string or a `{ text }` config), for a span name. */
function statementOf(argument: unknown): string {
  if (typeof argument === 'string') return argument;
  if (typeof argument === 'object' && argument !== null && 'text' in argument) return String(argument.text);
  return 'query';
}

/** The values of a query call: its second argument, or a `{ values }` config's. */
function parametersOf(args: readonly unknown[]): readonly unknown[] | undefined {
  if (Array.isArray(args[1])) return args[1];
  const config = args[0];
  if (typeof config === 'object' && config !== null && 'values' in config && Array.isArray(config.values)) {
    return config.values;
  }
  return undefined;
}

/** Replaces `target.query` with one that runs through the tracer (promise-returning calls only). */
function traceQueryMethod(target: { query: (...args: never[]) => unknown }, tracer: QueryTracer): void {
  const original = target.query.bind(target) as (...args: unknown[]) => unknown;
  (target as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    // node-postgres' callback form (used by nobody here) stays as it is.
    if (typeof args[args.length - 1] === 'function') return original(...args);
    return tracer(statementOf(args[0]), () => original(...args) as Promise<unknown>, parametersOf(args));
  };
}

/** `shared_buffers` of an embedded database unless `sharedBuffers` says otherwise (see there). */
export const defaultPgliteSharedBuffers = '16MB';

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
  /**
   * PostgreSQL's `shared_buffers` inside PGlite's WebAssembly memory. PGlite's default (128MB)
   * is touched at start and makes ~235 MB of RSS per database; 16MB gives ~75 MB, which is plenty
   * for the embedded workload (pages beyond it come from the OS page cache). Default '16MB'.
   */
  sharedBuffers?: string;
  /**
   * Open on first use instead of now: `openDatabase` returns at once and the first query opens
   * and migrates the database (embedded mode's dev database, which many installations never use).
   */
  lazy?: boolean;
  /** Milliseconds now, for a lazy database's retry backoff after a failed open. Default Date.now. */
  clock?: () => number;
}

export interface PostgresDatabaseOptions extends CommonDatabaseOptions {
  kind: 'postgres';
  url: string;
  poolSize?: number;
  /**
   * false: open the pool only, for a process whose schema another has brought up to date (a
   * benchmark consumer restarted every few seconds); it skips the migration lock and files. Default true.
   */
  migrate?: boolean;
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
  /**
   * True while a lazily opened database is being opened and migrated (its first use): a readiness
   * check waits for that instead of timing out on it. Absent or false for every other database.
   */
  isOpening?(): boolean;
  /**
   * Where a lazily opened database stands: never used yet ('not opened'), its first open under way,
   * open, or its last open failed (`error` says why; the next use tries again). Absent for every
   * other database (always open).
   */
  openState?(): LazyOpenState;
  /** Connections of the PostgreSQL pool; null for PGlite. */
  poolStats(): PoolStats | null;
  /** LISTENs on `channel` (lower-case identifier); resolves to a function that stops this handler. */
  listen(channel: string, handler: NotificationHandler, options?: ListenOptions): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /**
   * False only for a lazily opened PGlite database nothing has used yet: housekeeping skips it
   * rather than opening it (an embedded dev database nobody uses costs no memory).
   */
  opened(): boolean;
  close(): Promise<void>;
}

export interface LazyOpenState {
  state: 'not opened' | 'opening' | 'open' | 'failed';
  error?: string;
  /** After a failed open: milliseconds until the next use may try again (0: the next use does). */
  retryInMs?: number;
}

/**
 * After a failed open a lazy database refuses its uses at once for a while instead of trying again
 * on each (a dev database that cannot open would otherwise be retried, and fail, on every dev
 * request): 2 s after the first failure, doubling per failure in a row up to 30 s; a successful open
 * resets it.
 */
export const lazyOpenBackoff = { firstMs: 2_000, maxMs: 30_000 } as const;

export function lazyOpenRetryDelayMs(failuresInARow: number): number {
  return Math.min(lazyOpenBackoff.firstMs * 2 ** Math.max(0, failuresInARow - 1), lazyOpenBackoff.maxMs);
}

export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * An arbitrary constant shared by every Switchyard process: holding it serializes
 * migrations, so processes starting together against one fresh database don't race.
 */
const migrationLockKey = 7_310_585_046_277_001;

const migrators = new WeakMap<SwitchyardDatabase, () => Promise<void>>();
/** The PGlite client behind an embedded database (backups dump its data dir). */
export const pgliteClients = new WeakMap<SwitchyardDatabase, () => Promise<PGlite>>();

/** Applies pending migrations to an open database; `openDatabase` already did, so this is normally a no-op. */
export async function migrateDatabase(database: SwitchyardDatabase): Promise<void> {
  const migrator = migrators.get(database);
  if (!migrator) throw new Error('migrateDatabase needs a database returned by openDatabase');
  await migrator();
}

/** One line with the reason: a driver error object carries the client (and its connection settings). */
const defaultErrorReporter: DatabaseErrorReporter = (error, context) => {
  console.warn(`[switchyard/db] ${context}: ${error instanceof Error ? error.message : String(error)}`);
};

/** Opens the database and brings its schema up to date; applying migrations twice is a no-op. */
export async function openDatabase(options: DatabaseOptions): Promise<SwitchyardDatabase> {
  const reportError = options.onError ?? defaultErrorReporter;
  if (options.kind === 'postgres') {
    return openPostgres(options.url, options.poolSize ?? 10, reportError, options.tracer, options.migrate !== false);
  }
  const pgliteOptions: PgliteOpenOptions = {
    ...(options.tracer ? { tracer: options.tracer } : {}),
    dataDir: options.dataDir,
    templateCacheDir: options.templateCacheDir === undefined ? defaultTemplateCacheDir() : options.templateCacheDir,
    sharedBuffers: options.sharedBuffers ?? defaultPgliteSharedBuffers,
    reportError,
  };
  return options.lazy ? openLazyPglite(pgliteOptions, options.clock ?? Date.now) : openPglite(pgliteOptions);
}

interface PgliteOpenOptions {
  tracer?: QueryTracer;
  dataDir: string | null;
  templateCacheDir: string | null;
  sharedBuffers: string;
  reportError: DatabaseErrorReporter;
}

async function openPgliteClient(options: PgliteOpenOptions): Promise<PGlite> {
  const { dataDir, templateCacheDir } = options;
  // What `preloadPglite` read and compiled ahead (embedded start), else compiled now.
  const artifacts = takePgliteArtifacts();
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  if (dataDir !== null) await mkdir(dataDir, { recursive: true });
  const fresh = dataDir === null || !isInitialisedDataDir(dataDir);
  pgliteVersion ??= readPackageVersion('@electric-sql/pglite');
  // Names both the template and the schema level a data dir's marker records.
  const version = pgliteVersion;
  const currentLevel = () => (schemaLevel ??= templateFileName(migrationsFolder, version));
  const templateName = fresh && templateCacheDir ? await currentLevel() : null;
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${options.sharedBuffers}`];
  if (dataDir !== null) {
    // On disk: a copy of the cached data dir, opened like an existing one.
    const dirName = templateName && templateCacheDir ? templateDirName(templateName) : null;
    const copied = dirName && templateCacheDir ? await copyTemplateDir(templateCacheDir, dirName, dataDir) : false;
    let client = await PGlite.create(dataDir, { startParams, ...(await artifacts) });
    try {
      const level = await currentLevel();
      // A copied template carries the marker of the migrations it was made with (its name's hash).
      if ((await readSchemaMarker(dataDir)) !== level) {
        await migrate(drizzle({ client, schema }), { migrationsFolder });
        await writeSchemaMarker(dataDir, level);
      }
      if (dirName && templateCacheDir && !copied) {
        // Closed first, so every page is on disk; reopened once, only for the very first database.
        await client.close();
        await writeTemplateDir(dataDir, templateCacheDir, dirName);
        client = await PGlite.create(dataDir, { startParams, ...(await takePgliteArtifacts()) });
      }
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
    // After migrating: the spans are for the queries the server makes, not for its start.
    if (options.tracer) traceQueryMethod(client, options.tracer);
    return client;
  }
  const template = templateName && templateCacheDir ? await readTemplate(templateCacheDir, templateName) : null;
  const client = await PGlite.create({
    ...(template ? { loadDataDir: template } : {}),
    startParams,
    ...(await artifacts),
  });
  try {
    await migrate(drizzle({ client, schema }), { migrationsFolder });
    if (templateName && templateCacheDir && !template) await writeTemplate(client, templateCacheDir, templateName);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  // After migrating: the spans are for the queries the server makes, not for its start.
  if (options.tracer) traceQueryMethod(client, options.tracer);
  return client;
}

async function openPglite(options: PgliteOpenOptions): Promise<SwitchyardDatabase> {
  const client = await openPgliteClient(options);
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
  const db = drizzle({ client, schema }) as unknown as Db;
  return pgliteDatabase(db, () => Promise.resolve(client), options.reportError, {
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    close: () => client.close(),
  });
}

/**
 * What Drizzle's PGlite session calls on its client (`query`, `transaction`); each waits for the
 * database to open (and migrate) on first use. After a failed open, uses are refused at once until
 * the backoff (lazyOpenRetryDelayMs) has passed; the first use after it tries again.
 */
async function openLazyPglite(options: PgliteOpenOptions, clock: () => number): Promise<SwitchyardDatabase> {
  const { drizzle } = await import('drizzle-orm/pglite');
  let opening: Promise<PGlite> | null = null;
  let opened = false;
  let closed = false;
  let lastError: string | null = null;
  let failuresInARow = 0;
  let retryAt = 0;
  const client = (): Promise<PGlite> => {
    if (closed) return Promise.reject(new Error('the database is closed'));
    if (opening === null && lastError !== null && clock() < retryAt) {
      const seconds = Math.ceil((retryAt - clock()) / 1000);
      return Promise.reject(
        new DatabaseOpenError(`opening the database failed: ${lastError} (next attempt in ${seconds} s)`),
      );
    }
    opening ??= openPgliteClient(options).then(
      (pglite) => {
        opened = true;
        lastError = null;
        failuresInARow = 0;
        return pglite;
      },
      (error: unknown) => {
        opening = null;
        const reason = error instanceof Error ? error.message : String(error);
        lastError = reason;
        failuresInARow += 1;
        retryAt = clock() + lazyOpenRetryDelayMs(failuresInARow);
        throw new DatabaseOpenError(`opening the database failed: ${reason}`, { cause: error });
      },
    );
    return opening;
  };
  const openState = (): LazyOpenState => {
    if (opened) return { state: 'open' };
    if (opening !== null) return { state: 'opening' };
    if (lastError === null) return { state: 'not opened' };
    return { state: 'failed', error: lastError, retryInMs: Math.max(0, retryAt - clock()) };
  };
  const lazyClient = {
    query: async (...args: Parameters<PGlite['query']>) => (await client()).query(...args),
    transaction: async (...args: Parameters<PGlite['transaction']>) => (await client()).transaction(...args),
  };
  const db = drizzle({ client: lazyClient as unknown as PGlite, schema }) as unknown as Db;
  return pgliteDatabase(db, client, options.reportError, {
    isOpening: () => opening !== null && !opened,
    openState,
    // Opening migrates; a database that was never opened has nothing to migrate yet.
    migrate: async () => void (await client()),
    opened: () => opening !== null,
    async close() {
      closed = true;
      const pending = opening;
      opening = null;
      if (pending) await (await pending.catch(() => null))?.close();
    },
  });
}

function pgliteDatabase(
  db: Db,
  client: () => Promise<PGlite>,
  reportError: DatabaseErrorReporter,
  lifecycle: {
    migrate: () => Promise<void>;
    close: () => Promise<void>;
    opened?: () => boolean;
    isOpening?: () => boolean;
    openState?: () => LazyOpenState;
  },
): SwitchyardDatabase {
  const database: SwitchyardDatabase = {
    kind: 'pglite',
    db,
    ping: () => ping(db),
    ...(lifecycle.isOpening ? { isOpening: lifecycle.isOpening } : {}),
    ...(lifecycle.openState ? { openState: lifecycle.openState } : {}),
    poolStats: () => null,
    async listen(channel, handler) {
      assertChannelName(channel);
      // PGlite calls handlers from a microtask, where a throw would be an uncaught exception.
      const unlisten = await (await client()).listen(channel, (payload) => {
        try {
          handler(payload);
        } catch (error) {
          reportError(error, `notification handler for channel '${channel}' threw`);
        }
      });
      return () => unlisten();
    },
    notify: (channel, payload) => notify(db, channel, payload),
    opened: lifecycle.opened ?? (() => true),
    async close() {
      stopAnalyzing();
      await lifecycle.close();
    },
  };
  // Opened: for a lazily opened database, once something has opened it (isOpening then false).
  const stopAnalyzing = startAutoAnalyze(
    client,
    () => (lifecycle.opened?.() ?? true) && !(lifecycle.isOpening?.() ?? false),
    reportError,
  );
  migrators.set(database, lifecycle.migrate);
  pgliteClients.set(database, client);
  return database;
}

async function openPostgres(
  url: string,
  poolSize: number,
  reportError: DatabaseErrorReporter,
  tracer?: QueryTracer,
  migrate = true,
): Promise<SwitchyardDatabase> {
  const [{ default: pg }, { drizzle: drizzleNodePostgres }, { createPostgresListener }] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('./postgres-listener'),
  ]);
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle pooled connection that drops emits 'error'; unhandled, it would end the process.
  pool.on('error', (error) => reportError(error, 'idle PostgreSQL connection failed'));
  // The pool takes its own 'error' listener off a client it hands out, so a checked-out client (a
  // transaction awaiting other work) whose connection drops would emit 'error' with no listener: an
  // uncaught exception that ends the process. The failure still reaches its holder through the next
  // query (and the route answers 503); the event itself needs no more than this listener.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = drizzleNodePostgres({ client: pool, schema });
  try {
    if (migrate) await migratePostgres(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  // Drizzle queries the pool (whose own client calls use callbacks, which pass untraced) and, in a
  // transaction, a client checked out of it: wrap both.
  if (tracer) {
    traceQueryMethod(pool, tracer);
    const traced = new WeakSet<object>();
    pool.on('acquire', (client) => {
      if (traced.has(client)) return;
      traced.add(client);
      traceQueryMethod(client as never, tracer);
    });
  }
  const listener = createPostgresListener(url, reportError);
  const database: SwitchyardDatabase = {
    kind: 'postgres',
    db,
    ping: () => ping(db),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolSize }),
    listen: (channel, handler, listenOptions) => listener.listen(channel, handler, listenOptions),
    notify: (channel, payload) => notify(db, channel, payload),
    opened: () => true,
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
  const [{ drizzle: drizzleNodePostgres }, { migrate: migrateNodePostgres }] = await Promise.all([
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
  ]);
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
