import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's initdb takes several seconds; loading a dump of an already
 * initialised and migrated database takes about one. The first database
 * Switchyard creates is dumped into a per-user cache (mode 0700: a template
 * becomes a database's contents, so nobody else may write it), and later new
 * data dirs start from it. The file name carries a hash of the PGlite version
 * and every migration, so a schema change never loads a stale template.
 */
export function defaultTemplateCacheDir(environment: NodeJS.ProcessEnv = process.env): string {
  const base = environment.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'switchyard', 'pglite-templates');
}

export async function templateFileName(migrationsFolder: string, pgliteVersion: string): Promise<string> {
  const hash = createHash('sha256').update(pgliteVersion);
  const journal = join(migrationsFolder, 'meta', '_journal.json');
  if (existsSync(journal)) hash.update(await readFile(journal));
  for (const name of (await readdir(migrationsFolder)).filter((file) => file.endsWith('.sql')).sort()) {
    hash.update(name).update(await readFile(join(migrationsFolder, name)));
  }
  return `template-${hash.digest('hex').slice(0, 24)}.tar.gz`;
}

export async function readTemplate(cacheDir: string, fileName: string): Promise<Blob | null> {
  try {
    return new Blob([await readFile(join(cacheDir, fileName))]);
  } catch {
    return null;
  }
}

/** Best effort: a cache that cannot be written only costs the next start a few seconds. */
export async function writeTemplate(client: PGlite, cacheDir: string, fileName: string): Promise<void> {
  try {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    await chmod(cacheDir, 0o700);
    const dump = await client.dumpDataDir('gzip');
    const temporary = join(cacheDir, `${fileName}.${process.pid}.tmp`);
    await writeFile(temporary, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
    await rename(temporary, join(cacheDir, fileName));
  } catch {
    await rm(join(cacheDir, `${fileName}.${process.pid}.tmp`), { force: true }).catch(() => {});
  }
}

/** A data dir PGlite has already initialised. */
export const isInitialisedDataDir = (dataDir: string): boolean => existsSync(join(dataDir, 'PG_VERSION'));
