import { join } from 'node:path';
import type { Environment, SwitchyardConfig } from '@switchyard/core';
import type { DatabaseErrorReporter, QueryTracer, SwitchyardDatabase } from '@switchyard/db';

export type Databases = Readonly<Record<Environment, SwitchyardDatabase>>;

export const isServerMode = (config: SwitchyardConfig): boolean => config.databaseUrl !== null;

export interface OpenDatabasesOptions {
  /**
   * Embedded mode opens the dev database on its first use (a dev key's request, a dev job; not /ready):
   * each PGlite database costs ~75 MB of memory and ~0.5–1 s to open, and many installations never
   * touch dev. `eager` opens and migrates both now (`switchyard migrate`).
   */
  eager?: boolean;
  /** Where connection errors nobody awaits go (a dropped idle connection, a failed reconnect). */
  onError?: DatabaseErrorReporter;
  /** Wraps every query in a span (tracing on). */
  tracer?: QueryTracer;
  /** Milliseconds now, for the lazy dev database's retry backoff (tests). Default Date.now. */
  clock?: () => number;
}

/**
 * Opens (and migrates) both environments' databases: PGlite under the data
 * dir in embedded mode, PostgreSQL in server mode. Embedded callers must hold
 * the data-dir lock first.
 */
export async function openDatabases(config: SwitchyardConfig, options: OpenDatabasesOptions = {}): Promise<Databases> {
  const { openDatabase } = await import('@switchyard/db');
  const reporter = {
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.tracer ? { tracer: options.tracer } : {}),
  };
  if (config.databaseUrl !== null && config.devDatabaseUrl !== null) {
    const [prod, dev] = await Promise.all([
      openDatabase({ kind: 'postgres', url: config.databaseUrl, ...reporter }),
      openDatabase({ kind: 'postgres', url: config.devDatabaseUrl, ...reporter }),
    ]);
    return { prod, dev };
  }
  const prod = await openDatabase({ kind: 'pglite', dataDir: join(config.dataDir, 'prod'), ...reporter });
  try {
    const dev = await openDatabase({
      kind: 'pglite',
      dataDir: join(config.dataDir, 'dev'),
      lazy: !options.eager,
      ...(options.clock ? { clock: options.clock } : {}),
      ...reporter,
    });
    return { prod, dev };
  } catch (error) {
    await prod.close();
    throw error;
  }
}

export async function closeDatabases(databases: Databases): Promise<void> {
  await Promise.allSettled([databases.prod.close(), databases.dev.close()]);
}

/** Channel on which every process hears that keys, settings, users (sessions, roles) or apps changed. */
export const changeChannel = 'switchyard_changes';
export type ChangeTopic = 'keys' | 'settings' | 'users' | 'apps' | 'plans';
