import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';

const execFileAsync = promisify(execFile);

/**
 * PGlite's initdb takes several seconds of CPU; loading a dump of an already
 * initialised and migrated database about 1.5 s (2 s gzipped); copying a
 * closed data directory and opening it about 0.5 s. The first database
 * Switchyard creates is kept in a per-user cache (mode 0700: a template
 * becomes a database's contents, so nobody else may write it), and later new
 * databases start from it: a data dir on disk from a copy of a closed data
 * dir, an in-memory one from a dump. The name carries a hash of the PGlite
 * version and every migration, so a schema change never loads a stale template.
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

/** The cached data dir that new data dirs on disk are copied from (see templateFileName). */
export const templateDirName = (fileName: string): string => fileName.replace(/\.tar\.gz$/, '.datadir');

/** Copies the cached data dir into `dataDir`; false when there is none (or it cannot be read). */
export async function copyTemplateDir(cacheDir: string, dirName: string, dataDir: string): Promise<boolean> {
  const template = join(cacheDir, dirName);
  if (!isInitialisedDataDir(template)) return false;
  try {
    await copyTree(template, dataDir);
    return true;
  } catch {
    await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    await mkdir(dataDir, { recursive: true });
    return false;
  }
}

/**
 * `cp -R` where there is one: Node's fs.cp walks the template's ~1,300 files in JavaScript and
 * costs about 1 s of CPU, the system's cp about 0.1 s.
 */
async function copyTree(from: string, to: string): Promise<void> {
  if (process.platform !== 'win32') {
    try {
      await execFileAsync('cp', ['-R', `${from}/.`, to]);
      return;
    } catch {
      // No usable cp: Node's own copy below.
    }
  }
  await cp(from, to, { recursive: true, force: true });
}

/**
 * Best effort, like writeTemplate: copies a data dir PGlite has closed (so everything is on disk)
 * into the cache, under a temporary name first, so a reader never sees half a template.
 */
export async function writeTemplateDir(dataDir: string, cacheDir: string, dirName: string): Promise<void> {
  const temporary = join(cacheDir, `${dirName}.${process.pid}.tmp`);
  try {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    await chmod(cacheDir, 0o700);
    await mkdir(temporary, { recursive: true });
    await copyTree(dataDir, temporary);
    // Another process may have written it first: then this copy is not needed.
    await rename(temporary, join(cacheDir, dirName));
  } catch {
    await rm(temporary, { recursive: true, force: true }).catch(() => {});
  }
}

/** A data dir PGlite has already initialised. */
export const isInitialisedDataDir = (dataDir: string): boolean => existsSync(join(dataDir, 'PG_VERSION'));
