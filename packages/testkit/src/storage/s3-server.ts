import crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import Module, { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The part of s3rver 3.7 used here; the package ships no types. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  resetOnClose: boolean;
  configureBuckets: Array<{ name: string }>;
}) => S3rverInstance;

type ModuleLoad = (request: string, parent: { filename?: string } | null | undefined, isMain: boolean) => unknown;

let s3rverConstructor: S3rverConstructor | undefined;

/**
 * s3rver 3.7 encrypts ListObjectsV2 continuation tokens with single DES, which
 * OpenSSL 3 (Node >= 17) refuses, so every truncated listing answers
 * InternalError (jamhall/s3rver#818, unfixed). While s3rver loads, its bucket
 * controller alone is handed a `crypto` whose 'des' is 3DES with the key
 * repeated three times, which computes the same cipher; the rest of the
 * process keeps the real module and no OpenSSL flag is needed.
 */
function loadS3rver(): S3rverConstructor {
  if (s3rverConstructor !== undefined) return s3rverConstructor;
  const asTripleDes = (algorithm: string, key: Buffer): [string, Buffer] =>
    algorithm === 'des' ? ['des-ede3-cbc', Buffer.concat([key, key, key])] : [algorithm, key];
  const patchedCrypto = Object.assign(Object.create(crypto) as typeof crypto, {
    createCipheriv: (algorithm: string, key: Buffer, iv: Buffer) =>
      crypto.createCipheriv(...asTripleDes(algorithm, key), iv),
    createDecipheriv: (algorithm: string, key: Buffer, iv: Buffer) =>
      crypto.createDecipheriv(...asTripleDes(algorithm, key), iv),
  });
  const bucketController = path.join('s3rver', 'lib', 'controllers', 'bucket.js');
  const loader = Module as unknown as { _load: ModuleLoad };
  const originalLoad = loader._load;
  loader._load = (request, parent, isMain) => {
    if ((request === 'crypto' || request === 'node:crypto') && parent?.filename?.endsWith(bucketController)) {
      return patchedCrypto;
    }
    return Reflect.apply(originalLoad, loader, [request, parent, isMain]);
  };
  try {
    s3rverConstructor = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  } finally {
    loader._load = originalLoad;
  }
  return s3rverConstructor;
}

export interface TestS3Server {
  /** `http://127.0.0.1:<port>`; use path-style addressing. */
  endpoint: string;
  /** A bucket that exists when the server starts. */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** s3rver only accepts continuation tokens it minted for us-east-1. */
  region: string;
  close(): Promise<void>;
}

/**
 * An in-process s3rver speaking the S3 REST protocol on a free port, storing
 * into a fresh temp directory that `close()` removes. It rejects unknown
 * access key ids (only S3RVER exists) but, being a fake, does not verify V4
 * signatures, so a wrong secret key goes unnoticed here.
 */
export async function startTestS3Server(options: { bucket?: string } = {}): Promise<TestS3Server> {
  const S3rver = loadS3rver();
  const bucket = options.bucket ?? 'switchyard-test';
  const directory = await mkdtemp(path.join(tmpdir(), 'switchyard-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    resetOnClose: false,
    configureBuckets: [{ name: bucket }],
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
