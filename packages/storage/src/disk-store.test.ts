import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { errorOf, eventually } from '@switchyard/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiskObjectStore, type DiskObjectStore } from './disk-store';

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** Resolves once `predicate` holds, polling the filesystem, so a test can catch a write mid-flight. */
async function waitFor(predicate: () => Promise<boolean>): Promise<void> {
  await eventually(async () => {
    if (!(await predicate())) throw new Error('condition not reached');
  });
}

describe('disk object store', () => {
  let sandbox: string;
  let root: string;
  let store: DiskObjectStore;

  beforeEach(async () => {
    sandbox = await mkdtemp(path.join(tmpdir(), 'switchyard-disk-store-'));
    root = path.join(sandbox, 'objects');
    store = createDiskObjectStore({ root });
  });

  afterEach(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  it('never writes outside the root, whatever the key', async () => {
    await mkdir(root, { recursive: true });
    const crafted = [
      '../escape',
      '../../escape',
      'a/../../escape',
      '/tmp/escape',
      'a/..',
      '..',
      '.',
      'a\\..\\..\\escape',
      '..\\escape',
      'a/\u0000/b',
      'a/%2e%2e/escape',
      `${'x/'.repeat(300)}escape`,
    ];
    for (const key of crafted) {
      expect(await errorOf(store.put(key, Buffer.from('owned')))).toMatchObject({ code: 'SY_ERR_VALIDATION' });
    }
    for (const prefix of ['../', '../../', '/']) {
      expect(await errorOf(store.list(prefix))).toMatchObject({ code: 'SY_ERR_VALIDATION' });
    }
    expect(await readdir(sandbox)).toEqual(['objects']);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses to follow symbolic links planted under the root', async () => {
    const outside = path.join(sandbox, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret~object'), 'do not serve me');
    await mkdir(root, { recursive: true });
    await symlink(outside, path.join(root, 'linked'));
    await symlink(path.join(outside, 'secret~object'), path.join(root, 'file~object'));

    expect((await store.list('')).items).toEqual([]);
    expect(await errorOf(store.list('linked/'))).toMatchObject({ code: 'SY_ERR_FORBIDDEN' });
    expect(await errorOf(store.head('linked/secret'))).toMatchObject({ code: 'SY_ERR_FORBIDDEN' });
    expect(await errorOf(store.getBuffer('linked/secret'))).toMatchObject({ code: 'SY_ERR_FORBIDDEN' });
    expect(await errorOf(store.put('linked/planted', Buffer.from('x')))).toMatchObject({ code: 'SY_ERR_FORBIDDEN' });
    expect(await errorOf(store.delete('linked/secret'))).toMatchObject({ code: 'SY_ERR_FORBIDDEN' });
    expect(await store.head('file')).toBeUndefined();
    expect(await errorOf(store.get('file'))).toMatchObject({ code: 'SY_ERR_NOT_FOUND' });
    expect(await readdir(outside)).toEqual(['secret~object']);
  });

  it('stores data and sidecar under names no key can produce, and lists only objects', async () => {
    await store.put('images/photo.png', Buffer.from('png'), { contentType: 'image/png', metadata: { owner: 'u1' } });
    expect(await filesUnder(root)).toEqual([
      path.join('images', 'photo.png~meta.json'),
      path.join('images', 'photo.png~object'),
    ]);
    expect((await store.list('')).items.map((item) => item.key)).toEqual(['images/photo.png']);
  });

  it('never shows a half-written upload as an object, nor replaces the old content early', async () => {
    await store.put('uploads/file.bin', Buffer.from('old content'));
    const body = new PassThrough();
    const pending = store.put('uploads/file.bin', body, { contentType: 'text/plain' });
    const newBody = new PassThrough();
    const newUpload = store.put('uploads/new.bin', newBody);
    body.write(Buffer.alloc(64 * 1024, 1));
    newBody.write(Buffer.alloc(4096, 7));

    const uploadsDirectory = path.join(root, 'uploads');
    await waitFor(async () => (await readdir(uploadsDirectory)).filter((name) => name.includes('~tmp-')).length >= 2);

    expect(await store.head('uploads/new.bin')).toBeUndefined();
    expect(await errorOf(store.get('uploads/new.bin'))).toMatchObject({ code: 'SY_ERR_NOT_FOUND' });
    expect((await store.getBuffer('uploads/file.bin')).body.toString()).toBe('old content');
    expect((await store.list('uploads/')).items.map((item) => [item.key, item.size])).toEqual([
      ['uploads/file.bin', 11],
    ]);

    body.end(Buffer.from('tail'));
    newBody.end();
    await Promise.all([pending, newUpload]);
    expect(await store.head('uploads/file.bin')).toMatchObject({ size: 64 * 1024 + 4, contentType: 'text/plain' });
    expect(await store.head('uploads/new.bin')).toMatchObject({ size: 4096 });
    expect((await readdir(uploadsDirectory)).filter((name) => name.includes('~tmp-'))).toEqual([]);
  });

  it('ignores temp files, orphaned sidecars and strays that are not valid keys', async () => {
    await mkdir(path.join(root, 'crash'), { recursive: true });
    await mkdir(path.join(root, 'lost+found'), { recursive: true });
    await writeFile(path.join(root, 'lost+found', 'x~object'), 'stray');
    await writeFile(path.join(root, 'crash', 'a.bin~object~tmp-0123456789abcdef'), 'partial');
    await writeFile(path.join(root, 'crash', 'b.bin~meta.json'), '{"contentType":"text/plain"}');
    expect((await store.list('')).items).toEqual([]);
    expect(await store.head('crash/a.bin')).toBeUndefined();
    expect(await store.head('crash/b.bin')).toBeUndefined();
  });

  it('still serves an object whose sidecar is missing or torn, with default type and no etag', async () => {
    await store.put('torn/object', Buffer.from('data'), { contentType: 'text/plain', metadata: { a: '1' } });
    await writeFile(path.join(root, 'torn', 'object~meta.json'), '{"contentType": "te');
    expect(await store.head('torn/object')).toEqual({
      key: 'torn/object',
      size: 4,
      contentType: 'application/octet-stream',
      lastModified: expect.any(Date),
      metadata: {},
    });
    expect((await store.getBuffer('torn/object')).body.toString()).toBe('data');
  });

  it('sorts across directories the way S3 does', async () => {
    for (const key of ['a/b', 'a-c', 'a.d', 'a', 'a/a/z', 'b']) await store.put(key, Buffer.from(key));
    expect((await store.list('')).items.map((item) => item.key)).toEqual(['a', 'a-c', 'a.d', 'a/a/z', 'a/b', 'b']);
    expect((await store.list('a/')).items.map((item) => item.key)).toEqual(['a/a/z', 'a/b']);
  });

  it('removes directories that a delete leaves empty, but not the root or non-empty ones', async () => {
    await store.put('deep/one/two/three', Buffer.from('x'));
    await store.put('deep/keep', Buffer.from('y'));
    await store.delete('deep/one/two/three');
    expect(await readdir(path.join(root, 'deep'))).toEqual(['keep~meta.json', 'keep~object']);
    await store.delete('deep/keep');
    expect(await readdir(root)).toEqual([]);
    await store.put('deep/one/two/three', Buffer.from('again'));
    expect((await store.getBuffer('deep/one/two/three')).body.toString()).toBe('again');
  });

  it('rejects a cursor that does not decode to a key', async () => {
    expect(await errorOf(store.list('', { cursor: '!!!' }))).toMatchObject({ code: 'SY_ERR_VALIDATION' });
    expect(await errorOf(store.list('', { cursor: Buffer.from('../x').toString('base64url') }))).toMatchObject({
      code: 'SY_ERR_VALIDATION',
    });
  });

  it('reports an unusable root as SY_ERR_DEPENDENCY_UNAVAILABLE', async () => {
    const fileAsRoot = path.join(sandbox, 'not-a-directory');
    await writeFile(fileAsRoot, 'x');
    const broken = createDiskObjectStore({ root: fileAsRoot });
    expect(await errorOf(broken.ping())).toMatchObject({ code: 'SY_ERR_DEPENDENCY_UNAVAILABLE', status: 503 });
    expect(await errorOf(broken.put('a', Buffer.from('x')))).toMatchObject({
      code: 'SY_ERR_DEPENDENCY_UNAVAILABLE',
      isRetryable: false,
    });
  });

  it('creates the root on ping', async () => {
    await store.ping();
    expect(await readdir(sandbox)).toEqual(['objects']);
  });
});
