import { createHash, randomBytes } from 'node:crypto';
import { constants, type Dirent, type Stats } from 'node:fs';
import {
  access,
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { mapWithConcurrency } from './map-with-concurrency';
import { chunkToBuffer, isByteArray, toNodeReadable } from './object-body';
import { assertValidObjectKey, assertValidObjectPrefix, isValidObjectKey, resolveListLimit } from './object-key';
import {
  defaultContentType,
  type ListOptions,
  type ListResult,
  type ObjectBody,
  type ObjectStore,
  type PutOptions,
  type StoredObjectInfo,
} from './object-store';
import { normalizePutOptions } from './put-options';

export interface DiskObjectStoreOptions {
  /** Directory that holds the objects, e.g. `data/objects`; created on first write. */
  root: string;
}

export interface DiskObjectStore extends ObjectStore {
  readonly backend: 'disk';
  readonly root: string;
}

/*
 * Key `a/b/photo.png` is stored as `<root>/a/b/photo.png~object` with its
 * sidecar `photo.png~meta.json` next to it. Keys can never contain '~', so
 * data files, sidecars and temp files can never collide with each other or
 * with a directory made from a key, and `a` and `a/b` can both exist, as in S3.
 */
const objectSuffix = '~object';
const sidecarSuffix = '~meta.json';
const temporaryInfix = '~tmp-';
/** Opening the final path component must not follow a symbolic link (undefined, so 0, on Windows). */
const readNoFollow = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
const permanentErrorCodes = new Set(['EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG']);

interface Sidecar {
  contentType: string;
  metadata: Record<string, string>;
  etag: string;
  size: number;
}

/** Marks an error thrown by the caller's body stream, which is theirs to handle, not a storage failure. */
class BodySourceFailure {
  constructor(readonly error: unknown) {}
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function notFound(key: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_NOT_FOUND', `object not found: ${key}`, { details: { key } });
}

function diskError(error: unknown, operation: string, key?: string): unknown {
  if (isSwitchyardError(error)) return error;
  if (error instanceof BodySourceFailure) return error.error;
  const code = errorCode(error) ?? 'unknown error';
  const subject = key === undefined ? '' : ` "${key}"`;
  return new SwitchyardError(
    'SY_ERR_DEPENDENCY_UNAVAILABLE',
    `object storage on disk failed to ${operation}${subject}: ${code}`,
    {
      isRetryable: !permanentErrorCodes.has(code),
      cause: error,
      details: { operation, code },
    },
  );
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== '' && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
}

function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isValidObjectKey(key)) throw new SwitchyardError('SY_ERR_VALIDATION', 'invalid list cursor');
  return key;
}

async function readSidecar(sidecarPath: string): Promise<Sidecar | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(sidecarPath, readNoFollow);
    return JSON.parse(await handle.readFile('utf8')) as Sidecar;
  } catch (error) {
    // A missing or torn sidecar (crash mid-put) degrades to defaults instead of hiding the object.
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ELOOP' || error instanceof SyntaxError) return undefined;
    throw error;
  } finally {
    await handle?.close();
  }
}

function toInfo(key: string, stats: Stats, sidecar: Sidecar | undefined): StoredObjectInfo {
  const info: StoredObjectInfo = {
    key,
    size: stats.size,
    contentType: sidecar?.contentType ?? defaultContentType,
    lastModified: stats.mtime,
    metadata: { ...(sidecar?.metadata ?? {}) },
  };
  // A sidecar of another size belongs to another version (an overwrite in flight), so its etag would lie.
  if (sidecar !== undefined && sidecar.size === stats.size) info.etag = sidecar.etag;
  return info;
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

async function writeBody(handle: FileHandle, body: ObjectBody): Promise<{ size: number; etag: string }> {
  const hash = createHash('md5');
  if (isByteArray(body)) {
    hash.update(body);
    await handle.writeFile(body);
    await handle.sync();
    return { size: body.byteLength, etag: hash.digest('hex') };
  }
  const readable = toNodeReadable(body);
  const chunks = readable[Symbol.asyncIterator]();
  let size = 0;
  try {
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw new BodySourceFailure(error);
      }
      if (next.done) break;
      const bytes = chunkToBuffer(next.value);
      hash.update(bytes);
      size += bytes.length;
      await writeAll(handle, bytes);
    }
  } catch (error) {
    readable.destroy();
    throw error;
  }
  await handle.sync();
  return { size, etag: hash.digest('hex') };
}

export function createDiskObjectStore(options: DiskObjectStoreOptions): DiskObjectStore {
  const root = path.resolve(options.root);

  function locate(key: string): { directory: string; dataPath: string; sidecarPath: string } {
    assertValidObjectKey(key);
    const segments = key.split('/');
    const name = segments.pop() ?? '';
    const directory = path.resolve(root, ...segments);
    const dataPath = path.resolve(directory, `${name}${objectSuffix}`);
    // Key validation already rules out traversal; this second check keeps it true if that grammar ever loosens.
    if (!isInside(root, dataPath)) {
      throw new SwitchyardError('SY_ERR_VALIDATION', 'invalid object key: escapes the root');
    }
    return { directory, dataPath, sidecarPath: path.resolve(directory, `${name}${sidecarSuffix}`) };
  }

  let realRoot: string | undefined;

  /**
   * Lexical checks cannot see symbolic links: a link planted inside the root
   * (by whoever can write there) could point anywhere. So the real path of
   * every directory used is checked against the real root as well.
   */
  async function directoryState(directory: string): Promise<'present' | 'missing'> {
    let realDirectory: string;
    try {
      realDirectory = await realpath(directory);
      realRoot ??= await realpath(root);
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return 'missing';
      throw error;
    }
    if (realDirectory !== realRoot && !isInside(realRoot, realDirectory)) {
      throw new SwitchyardError('SY_ERR_FORBIDDEN', 'object path leaves the storage root through a symbolic link');
    }
    return 'present';
  }

  /** Opens a new file, recreating its directory if a concurrent delete just removed it as empty. */
  async function openExclusive(directory: string, file: string): Promise<FileHandle> {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        await mkdir(directory, { recursive: true });
        if ((await directoryState(directory)) === 'present') return await open(file, 'wx');
      } catch (error) {
        if (errorCode(error) !== 'ENOENT' || attempt >= 3) throw error;
      }
    }
    throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'object storage on disk could not keep a directory');
  }

  async function readInfo(key: string): Promise<StoredObjectInfo | undefined> {
    const location = locate(key);
    if ((await directoryState(location.directory)) === 'missing') return undefined;
    let stats: Stats;
    try {
      stats = await lstat(location.dataPath);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    if (!stats.isFile()) return undefined;
    return toInfo(key, stats, await readSidecar(location.sidecarPath));
  }

  async function openObject(key: string): Promise<{ handle: FileHandle; info: StoredObjectInfo }> {
    const location = locate(key);
    let handle: FileHandle;
    try {
      if ((await directoryState(location.directory)) === 'missing') throw notFound(key);
      handle = await open(location.dataPath, readNoFollow);
    } catch (error) {
      throw errorCode(error) === 'ENOENT' || errorCode(error) === 'ELOOP'
        ? notFound(key)
        : diskError(error, 'read', key);
    }
    try {
      // Size and mtime come from the open file, so they describe exactly the bytes that will be read.
      const [stats, sidecar] = await Promise.all([handle.stat(), readSidecar(location.sidecarPath)]);
      if (!stats.isFile()) throw notFound(key);
      return { handle, info: toInfo(key, stats, sidecar) };
    } catch (error) {
      await handle.close().catch(() => {});
      throw diskError(error, 'read', key);
    }
  }

  async function collectKeys(directory: string, keyPrefix: string, prefix: string, keys: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      // Symbolic links are neither followed nor listed: everything listed lives under the root.
      if (entry.isDirectory()) {
        const childPrefix = `${keyPrefix}${entry.name}/`;
        if (childPrefix.startsWith(prefix) || prefix.startsWith(childPrefix)) {
          await collectKeys(path.join(directory, entry.name), childPrefix, prefix, keys);
        }
      } else if (entry.isFile() && entry.name.endsWith(objectSuffix) && !entry.name.includes(temporaryInfix)) {
        const key = `${keyPrefix}${entry.name.slice(0, -objectSuffix.length)}`;
        // Strays such as a mount point's lost+found are skipped: get() could not reach them anyway.
        if (key.startsWith(prefix) && isValidObjectKey(key)) keys.push(key);
      }
    }
  }

  async function removeEmptyDirectories(directory: string): Promise<void> {
    let current = directory;
    while (isInside(root, current)) {
      try {
        await rmdir(current);
      } catch {
        // Not empty (another object or an upload in flight) or already gone: either way, stop here.
        return;
      }
      current = path.dirname(current);
    }
  }

  return {
    backend: 'disk',
    root,

    async put(key: string, body: ObjectBody, putOptions?: PutOptions): Promise<StoredObjectInfo> {
      const location = locate(key);
      const { contentType, metadata } = normalizePutOptions(putOptions);
      const token = randomBytes(8).toString('hex');
      const temporaryDataPath = `${location.dataPath}${temporaryInfix}${token}`;
      const temporarySidecarPath = `${location.sidecarPath}${temporaryInfix}${token}`;
      try {
        const handle = await openExclusive(location.directory, temporaryDataPath);
        let written: { size: number; etag: string };
        try {
          written = await writeBody(handle, body);
        } finally {
          await handle.close();
        }
        const sidecar: Sidecar = { contentType, metadata, ...written };
        await writeFile(temporarySidecarPath, JSON.stringify(sidecar), { flag: 'wx', flush: true });
        const stats = await stat(temporaryDataPath);
        // Sidecar first: a new key becomes visible only with the data rename, by which time its metadata is in place.
        await rename(temporarySidecarPath, location.sidecarPath);
        await rename(temporaryDataPath, location.dataPath);
        return toInfo(key, stats, sidecar);
      } catch (error) {
        await Promise.all([
          rm(temporaryDataPath, { force: true }).catch(() => {}),
          rm(temporarySidecarPath, { force: true }).catch(() => {}),
        ]);
        throw diskError(error, 'write', key);
      }
    },

    async get(key: string): Promise<{ info: StoredObjectInfo; body: NodeJS.ReadableStream }> {
      const { handle, info } = await openObject(key);
      return { info, body: handle.createReadStream() };
    },

    async getBuffer(key: string): Promise<{ info: StoredObjectInfo; body: Buffer }> {
      const { handle, info } = await openObject(key);
      try {
        return { info, body: await handle.readFile() };
      } catch (error) {
        throw diskError(error, 'read', key);
      } finally {
        await handle.close().catch(() => {});
      }
    },

    async head(key: string): Promise<StoredObjectInfo | undefined> {
      try {
        return await readInfo(key);
      } catch (error) {
        throw diskError(error, 'read', key);
      }
    },

    async delete(key: string): Promise<void> {
      const location = locate(key);
      try {
        if ((await directoryState(location.directory)) === 'missing') return;
        await rm(location.dataPath, { force: true });
        await rm(location.sidecarPath, { force: true });
      } catch (error) {
        throw diskError(error, 'delete', key);
      }
      await removeEmptyDirectories(location.directory);
    },

    async list(prefix: string, listOptions?: ListOptions): Promise<ListResult> {
      assertValidObjectPrefix(prefix);
      const limit = resolveListLimit(listOptions);
      const after = listOptions?.cursor === undefined ? undefined : decodeCursor(listOptions.cursor);
      const directoryPrefix = prefix.slice(0, prefix.lastIndexOf('/') + 1);
      const startDirectory = path.resolve(root, ...directoryPrefix.split('/').filter(Boolean));
      if (startDirectory !== root && !isInside(root, startDirectory)) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'invalid object prefix: escapes the root');
      }
      try {
        if ((await directoryState(startDirectory)) === 'missing') return { items: [] };
        const keys: string[] = [];
        await collectKeys(startDirectory, directoryPrefix, prefix, keys);
        // Sorted over the whole result, not per directory: S3 orders `a-b` before `a/b` because '-' < '/'.
        const candidates = keys.filter((key) => after === undefined || key > after).sort();
        const page = candidates.slice(0, limit);
        const infos = await mapWithConcurrency(page, 16, readInfo);
        const items = infos.filter((info): info is StoredObjectInfo => info !== undefined);
        const lastKey = page.at(-1);
        return candidates.length > limit && lastKey !== undefined
          ? { items, nextCursor: encodeCursor(lastKey) }
          : { items };
      } catch (error) {
        throw diskError(error, 'list', prefix);
      }
    },

    async ping(): Promise<void> {
      try {
        await mkdir(root, { recursive: true });
        await access(root, constants.R_OK | constants.W_OK);
      } catch (error) {
        throw diskError(error, 'reach its root directory');
      }
    },
  };
}
