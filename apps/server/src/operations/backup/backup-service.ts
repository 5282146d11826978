import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type SecretScrubber, type SwitchyardConfig, SwitchyardError } from '@switchyard/core';
import { codeMigrationLevel, databaseMigrationLevel, dumpPgliteDatabase, type MigrationLevel } from '@switchyard/db';
import type { ObjectStore } from '@switchyard/storage';
import { extract as extractTar } from 'tar';
import type { Databases } from '../../infrastructure/databases';
import { version } from '../../version';
import { type BackupManifest, backupFormat, packBackup, unpackBackup } from './backup-archive';
import { backupFileName } from './backup-retention';

export interface BackupResult {
  readonly path: string;
  readonly manifest: BackupManifest;
}

interface ObjectIndexEntry {
  readonly key: string;
  readonly file: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
}

function dependencyError(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', message);
}

/** A URL without its password (which goes to the tool as PGPASSWORD, never on its command line). */
function splitPassword(url: string): { url: string; password: string | null } {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : null;
  parsed.password = '';
  return { url: parsed.toString(), password };
}

/** Runs pg_dump / pg_restore; a missing binary or a failure says what to do, never the password. */
async function runPgTool(
  config: SwitchyardConfig,
  tool: 'pg_dump' | 'pg_restore',
  databaseUrl: string,
  args: readonly string[],
  secrets: SecretScrubber,
): Promise<void> {
  const { url, password } = splitPassword(databaseUrl);
  const binary = config.backup.pgBinDir ? join(config.backup.pgBinDir, tool) : tool;
  const environment: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    ...(password ? { PGPASSWORD: password } : {}),
  };
  await new Promise<void>((resolve, reject) => {
    const child = spawn(binary, [...args, `--dbname=${url}`], {
      env: environment,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (piece: string) => {
      stderr = (stderr + piece).slice(-4000);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? dependencyError(
              `${tool} was not found${config.backup.pgBinDir ? ` in PG_BIN_DIR (${config.backup.pgBinDir})` : ' on the PATH'}: install the PostgreSQL client tools of your server's major version (e.g. apt-get install postgresql-client-16) or set PG_BIN_DIR`,
            )
          : error,
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(dependencyError(`${tool} failed (exit ${code}): ${secrets.scrub(stderr.trim()) || 'no message'}`));
    });
  });
}

/** Every object of the store, as files beside an index (key, content type, metadata). */
async function stageObjects(storage: ObjectStore, directory: string): Promise<number> {
  const index: ObjectIndexEntry[] = [];
  await mkdir(join(directory, 'objects'), { recursive: true });
  let cursor: string | undefined;
  do {
    const page = await storage.list('', { limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const item of page.items) {
      const file = `objects/${String(index.length).padStart(8, '0')}`;
      const { info, body } = await storage.get(item.key);
      await pipeline(body, createWriteStream(join(directory, file), { mode: 0o600 }));
      index.push({ key: item.key, file, contentType: info.contentType, metadata: info.metadata });
    }
    cursor = page.nextCursor;
  } while (cursor);
  await writeFile(join(directory, 'objects.json'), JSON.stringify(index), { mode: 0o600 });
  return index.length;
}

/** Makes the store hold exactly the backup's objects. */
async function restoreObjects(storage: ObjectStore, directory: string): Promise<number> {
  const index = JSON.parse(await readFile(join(directory, 'objects.json'), 'utf8')) as ObjectIndexEntry[];
  const wanted = new Set(index.map((entry) => entry.key));
  const stale: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list('', { limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const item of page.items) if (!wanted.has(item.key)) stale.push(item.key);
    cursor = page.nextCursor;
  } while (cursor);
  for (const key of stale) await storage.delete(key);
  for (const entry of index) {
    await storage.put(entry.key, createReadStream(join(directory, entry.file)), {
      contentType: entry.contentType,
      metadata: entry.metadata,
    });
  }
  return index.length;
}

export interface CreateBackupInput {
  readonly config: SwitchyardConfig;
  readonly databases: Databases;
  readonly storage: ObjectStore;
  readonly secrets: SecretScrubber;
  /** The archive to write; default a timestamped name in BACKUP_DIR. */
  readonly output?: string;
  readonly now?: () => Date;
}

/**
 * One archive with both databases (PGlite data-dir dumps in embedded mode, pg_dump custom-format
 * dumps in server mode), every stored object, and a manifest with the schema levels and a SHA-256
 * per file. Runs against live databases: PGlite dumps are consistent snapshots, pg_dump runs in one
 * repeatable-read transaction.
 */
export async function createBackup(input: CreateBackupInput): Promise<BackupResult> {
  const { config, databases, storage, secrets } = input;
  const now = input.now?.() ?? new Date();
  const output = input.output ?? join(config.backup.dir, backupFileName(now));
  await mkdir(config.backup.dir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(tmpdir(), 'switchyard-backup-'));
  try {
    const mode = databases.prod.kind === 'postgres' ? 'server' : 'embedded';
    const schema = {
      prod: await databaseMigrationLevel(databases.prod),
      dev: await databaseMigrationLevel(databases.dev),
    };
    for (const environment of ['prod', 'dev'] as const) {
      if (mode === 'server') {
        const url = environment === 'prod' ? config.databaseUrl : config.devDatabaseUrl;
        await runPgTool(
          config,
          'pg_dump',
          url ?? '',
          ['--format=custom', '--no-owner', '--no-privileges', `--file=${join(staging, `${environment}.pgdump`)}`],
          secrets,
        );
      } else {
        await writeFile(
          join(staging, `${environment}.pglite.tar.gz`),
          await dumpPgliteDatabase(databases[environment]),
          {
            mode: 0o600,
          },
        );
      }
    }
    const objects = await stageObjects(storage, staging);
    const manifest = await packBackup(staging, output, {
      format: backupFormat,
      switchyardVersion: version,
      createdAt: now.toISOString(),
      mode,
      schema,
      storage: { backend: storage.backend, objects },
    });
    return { path: output, manifest };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * An embedded database's data dir replaced by its dump: PGlite's dumpDataDir is a gzipped tar of the
 * data dir itself, so unpacking it is what PGlite's loadDataDir does, without starting PostgreSQL.
 * The next open checks it (and migrates it when the backup's schema is older).
 */
async function restorePgliteDataDir(dataDir: string, dump: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  for (const name of await readdir(dataDir)) await rm(join(dataDir, name), { recursive: true, force: true });
  // Its entries are absolute (/base/1/…): tar strips the leading / and refuses any '..'.
  await extractTar({ file: dump, cwd: dataDir });
}

function newerThanCode(level: MigrationLevel, code: MigrationLevel): boolean {
  return level.latest !== null && code.latest !== null && level.latest > code.latest;
}

export interface RestoreTarget {
  readonly config: SwitchyardConfig;
  readonly storage: ObjectStore;
  readonly secrets: SecretScrubber;
  /** Server mode: empties a database before pg_restore (every non-system schema dropped). */
  readonly wipePostgres?: (url: string) => Promise<void>;
}

/** Checks an archive (checksums, format, schema level) without changing anything. */
export async function verifyBackup(archive: string): Promise<BackupManifest> {
  const directory = await mkdtemp(join(tmpdir(), 'switchyard-verify-'));
  try {
    return checkSchema(archive, await unpackBackup(archive, directory));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function checkSchema(archive: string, manifest: BackupManifest): BackupManifest {
  const code = codeMigrationLevel();
  for (const environment of ['prod', 'dev'] as const) {
    const level = manifest.schema[environment];
    if (newerThanCode(level, code)) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${archive} comes from a newer schema (${environment}: ${level.tag ?? `${level.applied} migrations`}; this Switchyard ${version} knows up to ${code.tag}). Restore it with Switchyard ${manifest.switchyardVersion} or newer`,
      );
    }
  }
  return manifest;
}

/**
 * Replaces both databases and the object store with an archive's content, after checking it. Nothing
 * may use the databases meanwhile (embedded: the CLI holds the data-dir lock; server mode: stop the
 * API and worker processes). A database restored from an older schema is migrated at the next start.
 */
export async function restoreBackup(archive: string, target: RestoreTarget): Promise<BackupManifest> {
  const { config, storage, secrets } = target;
  const directory = await mkdtemp(join(tmpdir(), 'switchyard-restore-'));
  try {
    const manifest = checkSchema(archive, await unpackBackup(archive, directory));
    const mode = config.databaseUrl ? 'server' : 'embedded';
    if (manifest.mode !== mode) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${archive} is a backup of ${manifest.mode} mode; this configuration is ${mode} mode (restore it where it was made, then move data with the export tools)`,
      );
    }
    for (const environment of ['prod', 'dev'] as const) {
      if (mode === 'server') {
        const url = (environment === 'prod' ? config.databaseUrl : config.devDatabaseUrl) ?? '';
        if (!target.wipePostgres) throw new Error('restoreBackup needs wipePostgres in server mode');
        await target.wipePostgres(url);
        await runPgTool(
          config,
          'pg_restore',
          url,
          [
            '--no-owner',
            '--no-privileges',
            '--single-transaction',
            '--exit-on-error',
            join(directory, `${environment}.pgdump`),
          ],
          secrets,
        );
      } else {
        await restorePgliteDataDir(join(config.dataDir, environment), join(directory, `${environment}.pglite.tar.gz`));
      }
    }
    await restoreObjects(storage, directory);
    return manifest;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
