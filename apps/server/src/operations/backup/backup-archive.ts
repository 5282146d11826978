import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { SwitchyardError } from '@switchyard/core';
import type { MigrationLevel } from '@switchyard/db';
import { create as createTar, extract as extractTar } from 'tar';

/** Bumped when the archive layout changes; restore refuses a format it does not know. */
export const backupFormat = 1;

export interface BackupFileEntry {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** manifest.json, the first file of every backup archive. */
export interface BackupManifest {
  readonly format: number;
  readonly switchyardVersion: string;
  readonly createdAt: string;
  /** `embedded`: PGlite data-dir dumps; `server`: pg_dump custom-format dumps. */
  readonly mode: 'embedded' | 'server';
  readonly schema: { readonly prod: MigrationLevel; readonly dev: MigrationLevel };
  readonly storage: { readonly backend: 'disk' | 's3'; readonly objects: number };
  readonly files: readonly BackupFileEntry[];
}

export const manifestName = 'manifest.json';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** Checksums every staged file, writes the manifest and packs the directory into one .tar.gz. */
export async function packBackup(
  staging: string,
  target: string,
  manifest: Omit<BackupManifest, 'files'>,
): Promise<BackupManifest> {
  const files: BackupFileEntry[] = [];
  for (const path of await listFiles(staging)) {
    if (path === manifestName) continue;
    files.push({ path, bytes: (await stat(join(staging, path))).size, sha256: await sha256File(join(staging, path)) });
  }
  const complete: BackupManifest = { ...manifest, files };
  await writeFile(join(staging, manifestName), `${JSON.stringify(complete, null, 2)}\n`, { mode: 0o600 });
  // Written beside the target and renamed: a half-written archive never has the final name.
  const partial = `${target}.partial`;
  try {
    await createTar({ gzip: true, file: partial, cwd: staging, portable: true, mode: 0o600 }, [
      manifestName,
      ...files.map((file) => file.path),
    ]);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return complete;
}

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_VALIDATION', message);
}

/**
 * Unpacks an archive into `directory` and checks it: a manifest of a known format, every listed file
 * present with its size and SHA-256, and nothing else. Returns the manifest.
 */
export async function unpackBackup(archive: string, directory: string): Promise<BackupManifest> {
  try {
    await extractTar({ file: archive, cwd: directory, strict: true, preservePaths: false });
  } catch (error) {
    throw invalid(`${archive} is not a Switchyard backup archive (${(error as Error).message})`);
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(join(directory, manifestName), 'utf8')) as BackupManifest;
  } catch {
    throw invalid(`${archive} has no readable ${manifestName}: not a Switchyard backup`);
  }
  if (manifest.format !== backupFormat) {
    throw invalid(`${archive} is backup format ${manifest.format}; this Switchyard reads format ${backupFormat}`);
  }
  const listed = new Set(manifest.files.map((file) => file.path));
  for (const path of await listFiles(directory)) {
    if (path !== manifestName && !listed.has(path)) throw invalid(`${archive}: ${path} is not in the manifest`);
  }
  for (const file of manifest.files) {
    const path = join(directory, file.path);
    const size = await stat(path).then(
      (info) => info.size,
      () => null,
    );
    if (size === null) throw invalid(`${archive}: ${file.path} is missing`);
    if (size !== file.bytes || (await sha256File(path)) !== file.sha256) {
      throw invalid(`${archive}: checksum mismatch in ${file.path}; the backup is damaged`);
    }
  }
  return manifest;
}
