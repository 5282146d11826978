import { join } from 'node:path';
import type { SwitchyardConfig } from '@switchyard/core';
import { openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import { acquireDataDirLock, readLock } from '../infrastructure/data-dir-lock';
import { changeChannel, isServerMode } from '../infrastructure/databases';
import { createConfiguredLogger } from '../infrastructure/logger';
import { createAccountService, type PublicUser } from './account-service';
import { resolveAuthSecret } from './auth-secret';

export interface NewAdmin {
  email: string;
  password: string;
  name?: string;
}

export type SocketCall = <T>(socketPath: string, method: string, path: string, body?: unknown) => Promise<T>;

async function createDirectly(
  config: SwitchyardConfig,
  database: SwitchyardDatabase,
  mode: 'embedded' | 'server',
  admin: NewAdmin,
  announce: () => Promise<void>,
): Promise<PublicUser> {
  const accounts = createAccountService({
    db: database.db,
    secret: resolveAuthSecret(config, mode),
    config,
    // stdout carries the result; anything better-auth has to say goes to stderr.
    logger: createConfiguredLogger(config, process.stderr, 'warn'),
    announce,
  });
  try {
    return await accounts.createUser({ ...admin, role: 'admin' });
  } finally {
    accounts.close();
  }
}

/**
 * `switchyard admin create`: the same three paths as `keys create`. Server
 * mode writes to PostgreSQL and tells running servers; embedded mode goes
 * through the running server's admin socket, or opens the data dir itself
 * when no server holds it.
 */
export async function createAdmin(
  config: SwitchyardConfig,
  admin: NewAdmin,
  callSocket: SocketCall,
): Promise<PublicUser> {
  if (isServerMode(config)) {
    const prod = await openDatabase({ kind: 'postgres', url: config.databaseUrl ?? '' });
    try {
      return await createDirectly(config, prod, 'server', admin, () => prod.notify(changeChannel, 'users'));
    } finally {
      await prod.close();
    }
  }
  const holder = readLock(config.dataDir);
  if (holder?.role === 'server' && holder.socketPath) {
    return callSocket<PublicUser>(holder.socketPath, 'POST', '/admins', admin);
  }
  const lock = acquireDataDirLock(config.dataDir, { role: 'cli', socketPath: null });
  try {
    const prod = await openDatabase({ kind: 'pglite', dataDir: join(config.dataDir, 'prod') });
    try {
      return await createDirectly(config, prod, 'embedded', admin, async () => {});
    } finally {
      await prod.close();
    }
  } finally {
    lock.release();
  }
}
