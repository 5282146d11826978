import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isSwitchyardError } from '@switchyard/core';
import { errorOf, startTestS3Server, type TestS3Server } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from './create-object-store';
import { createS3ObjectStore, type S3ObjectStore, type S3ObjectStoreOptions } from './s3-store';

/** Everything an error handler or logger could print about an error, flattened to one string. */
function everythingPrintable(error: unknown): string {
  if (!isSwitchyardError(error)) return String(error);
  return JSON.stringify({
    message: error.message,
    stack: error.stack,
    details: error.details,
    cause: error.cause === undefined ? undefined : String(error.cause),
  });
}

/** A port that refuses connections: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('S3 object store', () => {
  let server: TestS3Server;
  const stores: S3ObjectStore[] = [];

  function open(overrides: Partial<S3ObjectStoreOptions> = {}): S3ObjectStore {
    const store = createS3ObjectStore({
      endpoint: server.endpoint,
      bucket: server.bucket,
      region: server.region,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      maxAttempts: 1,
      ...overrides,
    });
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    server = await startTestS3Server();
  });

  afterAll(async () => {
    for (const store of stores) store.destroy();
    await server.close();
  });

  it('never puts credentials into errors, though S3 echoes the access key id back', async () => {
    // s3rver checks the access key id but not the V4 signature, so a wrong key id is the failure it can produce.
    const store = open({ accessKeyId: 'AKIDLEAKCHECK0000001', secretAccessKey: 'secret-value-that-must-not-leak' });
    const attempts = [
      () => store.put('a', Buffer.from('x')),
      () => store.getBuffer('a'),
      () => store.head('a'),
      () => store.list(''),
      () => store.ping(),
    ];
    for (const attempt of attempts) {
      const error = await errorOf(attempt());
      expect(error).toMatchObject({ code: 'SY_ERR_DEPENDENCY_UNAVAILABLE', isRetryable: false });
      const printable = everythingPrintable(error);
      expect(printable).not.toContain('AKIDLEAKCHECK0000001');
      expect(printable).not.toContain('secret-value-that-must-not-leak');
    }
  });

  it('reports an unreachable server as a retryable SY_ERR_DEPENDENCY_UNAVAILABLE', async () => {
    const port = await closedPort();
    const store = open({ endpoint: `http://user:password-in-url@127.0.0.1:${port}` });
    for (const attempt of [() => store.ping(), () => store.head('a'), () => store.put('a', Buffer.from('x'))]) {
      const error = await errorOf(attempt());
      expect(error).toMatchObject({ code: 'SY_ERR_DEPENDENCY_UNAVAILABLE', isRetryable: true, status: 503 });
      expect(everythingPrintable(error)).not.toContain('password-in-url');
      expect(everythingPrintable(error)).toContain(`127.0.0.1:${port}`);
    }
  });

  it('fails ping on a missing bucket until ensureBucket creates it, and ensureBucket is idempotent', async () => {
    const store = open({ bucket: 'created-on-first-start' });
    expect(await errorOf(store.ping())).toMatchObject({ code: 'SY_ERR_DEPENDENCY_UNAVAILABLE', isRetryable: false });
    expect(await errorOf(store.put('a', Buffer.from('x')))).toMatchObject({ code: 'SY_ERR_DEPENDENCY_UNAVAILABLE' });
    await store.ensureBucket();
    await store.ensureBucket();
    await store.ping();
    await store.put('a', Buffer.from('x'));
    expect((await store.getBuffer('a')).body.toString()).toBe('x');
  });

  it('refuses a stream larger than the buffering limit and stores nothing', async () => {
    const store = open({ maxBufferedStreamBytes: 1024 });
    const error = await errorOf(store.put('too/big', Readable.from([Buffer.alloc(1000), Buffer.alloc(1000)])));
    expect(error).toMatchObject({ code: 'SY_ERR_PAYLOAD_TOO_LARGE', status: 413 });
    expect(await store.head('too/big')).toBeUndefined();
    await store.put('small/enough', Readable.from([Buffer.alloc(1000)]));
    expect(await store.head('small/enough')).toMatchObject({ size: 1000 });
  });

  it('streams a body of a stated length straight through, past the buffering limit', async () => {
    const store = open({ maxBufferedStreamBytes: 1024 });
    const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(500, 3)];
    const info = await store.put('streamed/recording', Readable.from(chunks), {
      contentType: 'audio/wav',
      contentLength: 2500,
    });
    expect(info).toMatchObject({ size: 2500, contentType: 'audio/wav' });
    expect((await store.getBuffer('streamed/recording')).body.equals(Buffer.concat(chunks))).toBe(true);
  });

  it('rejects a cursor the server did not issue', async () => {
    const store = open();
    expect(await errorOf(store.list('', { cursor: '' }))).toMatchObject({ code: 'SY_ERR_VALIDATION' });
    // S3 and MinIO answer 400 (mapped to SY_ERR_VALIDATION); s3rver fails to decrypt the token and answers 500.
    expect(await errorOf(store.list('', { cursor: 'bm90LWEtdG9rZW4=' }))).toMatchObject({
      code: expect.stringMatching(/^SY_ERR_(VALIDATION|DEPENDENCY_UNAVAILABLE)$/),
    });
  });

  it('skips objects written by other tools under keys the store would reject', async () => {
    const store = open({ bucket: 'shared-with-other-tools' });
    await store.ensureBucket();
    const client = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    try {
      await client.send(new PutObjectCommand({ Bucket: 'shared-with-other-tools', Key: 'odd name.txt', Body: 'x' }));
    } finally {
      client.destroy();
    }
    await store.put('normal.txt', Buffer.from('y'));
    expect((await store.list('')).items.map((item) => item.key)).toEqual(['normal.txt']);
  });

  it('is what createObjectStore builds for kind s3, with path-style addressing', async () => {
    const store = await createObjectStore({
      kind: 's3',
      endpoint: server.endpoint,
      bucket: server.bucket,
      region: server.region,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
    });
    stores.push(store);
    expect(store.backend).toBe('s3');
    // A virtual-hosted request would go to <bucket>.127.0.0.1, which does not resolve.
    await store.ping();
  });
});
