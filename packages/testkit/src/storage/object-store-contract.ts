import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectStore } from '@switchyard/storage';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../error-of';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Deterministic, incompressible-looking bytes, so a dropped or reordered chunk changes the digest. */
function patternBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < size; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Yields `total` bytes in 64 KiB chunks without ever holding them all, like an upload from a socket. */
function chunkedStream(total: number, seed: number): Readable {
  const chunkSize = 64 * 1024;
  let sent = 0;
  let chunkIndex = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(chunkSize, total - sent);
      sent += size;
      chunkIndex += 1;
      this.push(patternBytes(size, seed + chunkIndex));
    },
  });
}

function expectedChunkedBytes(total: number, seed: number): Buffer {
  const chunkSize = 64 * 1024;
  const chunks: Buffer[] = [];
  for (let sent = 0, chunkIndex = 1; sent < total; sent += chunkSize, chunkIndex += 1) {
    chunks.push(patternBytes(Math.min(chunkSize, total - sent), seed + chunkIndex));
  }
  return Buffer.concat(chunks);
}

export const invalidObjectKeys: ReadonlyArray<[string, string]> = [
  ['parent traversal', '../etc/passwd'],
  ['absolute path', '/abs'],
  ['empty segment', 'a//b'],
  ['traversal in the middle', 'a/../b'],
  ['empty key', ''],
  ['600 characters', 'a'.repeat(600)],
  ['backslash', 'a\\b'],
  ['NUL byte', 'a\u0000b'],
  ['trailing slash', 'a/'],
  ['dot segment', 'a/./b'],
  ['space', 'a b'],
  ['non-ASCII', 'caf\u00e9'],
];

/**
 * Behaviour every object store backend must share. `open` gives a fresh,
 * empty store each time it is called.
 */
export function describeObjectStoreContract(backendName: string, open: () => Promise<ObjectStore>): void {
  describe(`object store contract: ${backendName}`, () => {
    it('round-trips binary bytes, including zero bytes and an empty object', async () => {
      const store = await open();
      const bytes = Buffer.concat([Buffer.alloc(16), Buffer.from(Array.from({ length: 256 }, (_, value) => value))]);
      const written = await store.put('blobs/binary.bin', bytes);
      expect(written).toMatchObject({ key: 'blobs/binary.bin', size: bytes.length });

      const read = await store.getBuffer('blobs/binary.bin');
      expect(read.body.equals(bytes)).toBe(true);
      expect(read.info).toMatchObject({ key: 'blobs/binary.bin', size: bytes.length });
      const streamed = await store.get('blobs/binary.bin');
      expect((await readAll(streamed.body)).equals(bytes)).toBe(true);

      await store.put('blobs/empty', Buffer.alloc(0));
      expect((await store.getBuffer('blobs/empty')).body.length).toBe(0);
      expect(await store.head('blobs/empty')).toMatchObject({ size: 0 });

      const plainArray = new Uint8Array([0, 1, 2, 0, 255]);
      await store.put('blobs/uint8', plainArray);
      expect([...(await store.getBuffer('blobs/uint8')).body]).toEqual([0, 1, 2, 0, 255]);
    });

    it('preserves content type and metadata, with metadata keys lower-cased as S3 does', async () => {
      const store = await open();
      const written = await store.put('docs/readme.txt', Buffer.from('hello'), {
        contentType: 'text/plain; charset=utf-8',
        metadata: { Owner: 'user-42', 'original-name': 'Read Me.txt' },
      });
      const expected = {
        key: 'docs/readme.txt',
        size: 5,
        contentType: 'text/plain; charset=utf-8',
        metadata: { owner: 'user-42', 'original-name': 'Read Me.txt' },
      };
      expect(written).toMatchObject(expected);
      expect(await store.head('docs/readme.txt')).toMatchObject(expected);
      expect((await store.getBuffer('docs/readme.txt')).info).toMatchObject(expected);
      const streamed = await store.get('docs/readme.txt');
      expect(streamed.info).toMatchObject(expected);
      await readAll(streamed.body);
    });

    it('defaults the content type to application/octet-stream and metadata to {}', async () => {
      const store = await open();
      await store.put('plain', Buffer.from('x'));
      expect(await store.head('plain')).toMatchObject({ contentType: 'application/octet-stream', metadata: {} });
    });

    it('reports the same etag from put and head, and a recent lastModified', async () => {
      const store = await open();
      const before = Date.now();
      const written = await store.put('etag/one', Buffer.from('first'));
      const info = await store.head('etag/one');
      expect(info?.etag).toBe(written.etag);
      expect(info?.lastModified).toBeInstanceOf(Date);
      // S3 keeps whole seconds, so allow the second before the put started.
      expect(info?.lastModified.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      expect(info?.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      const rewritten = await store.put('etag/one', Buffer.from('second'));
      if (written.etag !== undefined) expect(rewritten.etag).not.toBe(written.etag);
    });

    it('answers head of a missing object with undefined', async () => {
      const store = await open();
      expect(await store.head('missing/object')).toBeUndefined();
    });

    it('rejects get and getBuffer of a missing object with SY_ERR_NOT_FOUND', async () => {
      const store = await open();
      expect(await errorOf(store.get('missing/object'))).toMatchObject({ code: 'SY_ERR_NOT_FOUND', status: 404 });
      expect(await errorOf(store.getBuffer('missing/object'))).toMatchObject({ code: 'SY_ERR_NOT_FOUND' });
    });

    it('overwrites content, content type and metadata as a whole', async () => {
      const store = await open();
      await store.put('over/write', Buffer.from('version one, longer'), {
        contentType: 'text/plain',
        metadata: { first: '1', shared: 'a' },
      });
      await store.put('over/write', Buffer.from('v2'), { contentType: 'application/json', metadata: { shared: 'b' } });
      const read = await store.getBuffer('over/write');
      expect(read.body.toString()).toBe('v2');
      expect(read.info).toMatchObject({ size: 2, contentType: 'application/json', metadata: { shared: 'b' } });
      expect(read.info.metadata).not.toHaveProperty('first');
      expect((await store.list('over/')).items.map((item) => item.key)).toEqual(['over/write']);
    });

    it('deletes idempotently', async () => {
      const store = await open();
      await store.put('gone/soon', Buffer.from('bye'));
      await store.delete('gone/soon');
      expect(await store.head('gone/soon')).toBeUndefined();
      await store.delete('gone/soon');
      await store.delete('never/existed');
      expect((await store.list('')).items).toEqual([]);
    });

    it('lets a key and keys under it as a prefix exist side by side', async () => {
      const store = await open();
      await store.put('tree', Buffer.from('leaf'));
      await store.put('tree/branch', Buffer.from('twig'));
      expect((await store.getBuffer('tree')).body.toString()).toBe('leaf');
      expect((await store.getBuffer('tree/branch')).body.toString()).toBe('twig');
      await store.delete('tree');
      expect((await store.getBuffer('tree/branch')).body.toString()).toBe('twig');
    });

    it('lists by prefix, sorted by key, in pages that never repeat an object', async () => {
      const store = await open();
      const keys = Array.from({ length: 25 }, (_, index) => `list/item-${String(index).padStart(2, '0')}`);
      // Put in reverse so that any order in the answer comes from the store, not from insertion.
      for (const key of [...keys].reverse()) {
        await store.put(key, Buffer.from(key), { contentType: 'text/plain', metadata: { position: key.slice(-2) } });
      }
      await store.put('listing', Buffer.from('shares the prefix "list" but not "list/"'));
      await store.put('other/item', Buffer.from('elsewhere'));

      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list('list/', cursor === undefined ? { limit: 10 } : { limit: 10, cursor });
        pages.push(page.items.map((item) => item.key));
        for (const item of page.items) {
          expect(item).toMatchObject({ size: item.key.length, contentType: 'text/plain' });
          expect(item.metadata).toEqual({ position: item.key.slice(-2) });
        }
        cursor = page.nextCursor;
        expect(pages.length).toBeLessThanOrEqual(3);
      } while (cursor !== undefined);

      expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(keys);

      expect((await store.list('list/item-1')).items.map((item) => item.key)).toEqual(keys.slice(10, 20));
      const everything = await store.list('');
      expect(everything.items.map((item) => item.key)).toEqual([...keys, 'listing', 'other/item']);
      expect(everything.nextCursor).toBeUndefined();
      expect((await store.list('list')).items).toHaveLength(26);
      expect((await store.list('nothing/here/')).items).toEqual([]);
    });

    it('rejects list limits outside 1..1000 and invalid prefixes', async () => {
      const store = await open();
      for (const limit of [0, -1, 1.5, 1001]) {
        expect(await errorOf(store.list('', { limit }))).toMatchObject({ code: 'SY_ERR_VALIDATION' });
      }
      for (const prefix of ['/abs', '../', 'a/../', 'a//', 'a\\b']) {
        expect(await errorOf(store.list(prefix))).toMatchObject({ code: 'SY_ERR_VALIDATION' });
      }
    });

    it('streams a 5 MiB upload in and a download out', async () => {
      const store = await open();
      const size = 5 * 1024 * 1024;
      const expected = expectedChunkedBytes(size, 7);
      const written = await store.put('streams/large.bin', chunkedStream(size, 7));
      expect(written.size).toBe(size);
      const download = await store.get('streams/large.bin');
      expect(download.info.size).toBe(size);
      expect(download.body).toBeInstanceOf(Readable);
      expect(md5(await readAll(download.body))).toBe(md5(expected));
    });

    it('accepts a web ReadableStream as the body', async () => {
      const store = await open();
      const web = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array([1, 2, 3]));
          controller.enqueue(new Uint8Array([0, 4]));
          controller.close();
        },
      });
      await store.put('streams/web', web);
      expect([...(await store.getBuffer('streams/web')).body]).toEqual([1, 2, 3, 0, 4]);
    });

    it('leaves nothing behind when the body stream fails', async () => {
      const store = await open();
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1024, 1));
          this.destroy(new Error('client went away'));
        },
      });
      expect(await errorOf(store.put('streams/broken', failing))).toMatchObject({ message: 'client went away' });
      expect(await store.head('streams/broken')).toBeUndefined();
      expect((await store.list('')).items).toEqual([]);
    });

    it.each(invalidObjectKeys)('rejects an invalid key (%s) in every operation', async (_name, key) => {
      const store = await open();
      const attempts: Array<() => Promise<unknown>> = [
        () => store.put(key, Buffer.from('x')),
        () => store.get(key),
        () => store.getBuffer(key),
        () => store.head(key),
        () => store.delete(key),
      ];
      for (const attempt of attempts) {
        expect(await errorOf(attempt())).toMatchObject({ code: 'SY_ERR_VALIDATION', status: 400 });
      }
    });

    it('accepts a key of exactly 512 characters', async () => {
      const store = await open();
      const key = `${'a'.repeat(200)}/${'b'.repeat(200)}/${'c'.repeat(110)}`;
      expect(key).toHaveLength(512);
      await store.put(key, Buffer.from('long'));
      expect((await store.getBuffer(key)).body.toString()).toBe('long');
    });

    it('rejects content types and metadata that would not survive HTTP headers', async () => {
      const store = await open();
      const attempts: Array<() => Promise<unknown>> = [
        () => store.put('meta/a', Buffer.from('x'), { contentType: 'text/plain\r\nx-injected: 1' }),
        () => store.put('meta/b', Buffer.from('x'), { contentType: 'not a content type' }),
        () => store.put('meta/c', Buffer.from('x'), { metadata: { 'bad key': 'v' } }),
        () => store.put('meta/d', Buffer.from('x'), { metadata: { note: 'caf\u00e9' } }),
        () => store.put('meta/e', Buffer.from('x'), { metadata: { note: 'line\nbreak' } }),
        () => store.put('meta/f', Buffer.from('x'), { metadata: { Same: '1', same: '2' } }),
        () => store.put('meta/g', Buffer.from('x'), { metadata: { big: 'v'.repeat(3000) } }),
      ];
      for (const attempt of attempts) {
        expect(await errorOf(attempt())).toMatchObject({ code: 'SY_ERR_VALIDATION' });
      }
      expect((await store.list('')).items).toEqual([]);
    });

    it('handles concurrent puts of different keys', async () => {
      const store = await open();
      const keys = Array.from({ length: 20 }, (_, index) => `concurrent/${index}/object.bin`);
      await Promise.all(keys.map((key, index) => store.put(key, patternBytes(10_000 + index, index + 1))));
      for (const [index, key] of keys.entries()) {
        expect((await store.getBuffer(key)).body.equals(patternBytes(10_000 + index, index + 1))).toBe(true);
      }
      expect((await store.list('concurrent/', { limit: 1000 })).items).toHaveLength(20);
    });

    it('answers ping', async () => {
      const store = await open();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
