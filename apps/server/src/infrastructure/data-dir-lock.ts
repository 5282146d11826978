import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwitchyardError } from '@switchyard/core';

export interface LockInfo {
  pid: number;
  /** The owner's admin socket, or null when the owner is a short-lived CLI command. */
  socketPath: string | null;
  role: 'server' | 'cli';
  startedAt: string;
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

export const lockFileName = 'switchyard.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock holder, if a live process holds it; a lock left by a dead process counts as free. */
export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, lockFileName), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && isAlive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/**
 * PGlite allows one process per data directory. The lock file is created
 * exclusively (O_EXCL), so two processes can never both believe they hold it;
 * a lock whose process is gone is taken over.
 */
export function acquireDataDirLock(dataDir: string, info: Omit<LockInfo, 'pid' | 'startedAt'>): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, lockFileName);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const descriptor = openSync(path, 'wx', 0o600);
      const content: LockInfo = { ...info, pid: process.pid, startedAt: new Date().toISOString() };
      writeSync(descriptor, JSON.stringify(content));
      closeSync(descriptor);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          const current = readLock(dataDir);
          if (!current || current.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(dataDir);
      if (holder) {
        const what = holder.role === 'server' ? 'A Switchyard server' : 'A switchyard command';
        throw new SwitchyardError(
          'SY_ERR_CONFLICT',
          `${what} (pid ${holder.pid}) is already using the data directory ${dataDir}. ` +
            'Stop it first, or give this one another directory with SWITCHYARD_DATA_DIR.',
        );
      }
      // Stale: its process is gone (or the file is half-written); remove and try again.
      rmSync(path, { force: true });
    }
  }
  throw new SwitchyardError('SY_ERR_CONFLICT', `Could not lock the data directory ${dataDir}`);
}

/** Unix socket paths are limited to ~107 bytes; long data dirs get a socket in the temp dir instead. */
export function adminSocketPath(dataDir: string): string {
  const inside = join(dataDir, 'switchyard.sock');
  if (Buffer.byteLength(inside) <= 100) return inside;
  const digest = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return join(tmpdir(), `switchyard-${digest}.sock`);
}
