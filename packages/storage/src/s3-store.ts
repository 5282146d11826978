import { Readable } from 'node:stream';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { SwitchyardError } from '@switchyard/core';
import { mapWithConcurrency } from './map-with-concurrency';
import { isByteArray, readToBuffer, toNodeReadable } from './object-body';
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
import { isS3NotFound, toStorageError } from './s3-errors';

export interface S3ObjectStoreOptions {
  /** S3-compatible endpoint such as `http://minio:9000`; omit for AWS S3. */
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style URLs (`endpoint/bucket/key`); defaults to true when `endpoint` is set, as MinIO needs. */
  forcePathStyle?: boolean;
  /** Streams of unknown length are buffered before upload; larger ones are refused. Defaults to 100 MiB. */
  maxBufferedStreamBytes?: number;
  /** Attempts per request, including the first; defaults to 3. */
  maxAttempts?: number;
  /** Milliseconds to wait for a TCP connection; defaults to 5000. */
  connectionTimeoutMs?: number;
  /** Milliseconds `ping()` may take; defaults to 5000. */
  pingTimeoutMs?: number;
}

export interface S3ObjectStore extends ObjectStore {
  readonly backend: 's3';
  readonly bucket: string;
  /** Creates the bucket when it does not exist yet, for a first start against an empty MinIO. */
  ensureBucket(): Promise<void>;
  /** Closes the client's pooled connections. */
  destroy(): void;
}

const defaultMaxBufferedStreamBytes = 100 * 1024 * 1024;
/** HEADs in flight per list page; list needs them because ListObjectsV2 omits content type and metadata. */
const listHeadConcurrency = 8;

function normalizeEtag(etag: string | undefined): string | undefined {
  return etag?.replace(/^(W\/)?"|"$/g, '');
}

function endpointOrigin(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  try {
    return new URL(endpoint).origin;
  } catch {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'S3 endpoint must be an absolute URL');
  }
}

function infoFromResponse(key: string, response: HeadObjectCommandOutput | GetObjectCommandOutput): StoredObjectInfo {
  const info: StoredObjectInfo = {
    key,
    size: response.ContentLength ?? 0,
    contentType: response.ContentType ?? defaultContentType,
    lastModified: response.LastModified ?? new Date(0),
    metadata: { ...(response.Metadata ?? {}) },
  };
  const etag = normalizeEtag(response.ETag);
  if (etag !== undefined) info.etag = etag;
  return info;
}

export function createS3ObjectStore(options: S3ObjectStoreOptions): S3ObjectStore {
  const { bucket } = options;
  const endpoint = endpointOrigin(options.endpoint);
  const maxBufferedStreamBytes = options.maxBufferedStreamBytes ?? defaultMaxBufferedStreamBytes;
  const clientConfig: S3ClientConfig = {
    region: options.region,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    maxAttempts: options.maxAttempts ?? 3,
    // Recent SDKs add CRC checksums (and chunked trailers for streams) to every request; MinIO versions and
    // other S3-compatible servers differ in what they accept, and bodies here are in memory anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 5000 },
  };
  if (options.endpoint !== undefined) clientConfig.endpoint = options.endpoint;
  const client = new S3Client(clientConfig);

  function fail(error: unknown, operation: string, key?: string): SwitchyardError {
    return toStorageError(error, {
      operation,
      ...(key === undefined ? {} : { key }),
      ...(endpoint === undefined ? {} : { endpoint }),
    });
  }

  async function send<Output>(operation: string, key: string | undefined, run: () => Promise<Output>): Promise<Output> {
    try {
      return await run();
    } catch (error) {
      throw fail(error, operation, key);
    }
  }

  async function head(key: string): Promise<StoredObjectInfo | undefined> {
    assertValidObjectKey(key);
    try {
      return infoFromResponse(key, await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw fail(error, 'head', key);
    }
  }

  async function getObject(key: string): Promise<{ info: StoredObjectInfo; body: Readable }> {
    assertValidObjectKey(key);
    const response = await send('get', key, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    const info = infoFromResponse(key, response);
    const body = response.Body;
    if (body === undefined) return { info, body: Readable.from([]) };
    if (body instanceof Readable) return { info, body };
    return { info, body: toNodeReadable(body.transformToWebStream()) };
  }

  async function bucketExists(): Promise<boolean> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (error) {
      if (isS3NotFound(error)) return false;
      throw fail(error, 'check bucket');
    }
  }

  return {
    backend: 's3',
    bucket,

    async put(key: string, body: ObjectBody, putOptions?: PutOptions): Promise<StoredObjectInfo> {
      assertValidObjectKey(key);
      const { contentType, metadata } = normalizePutOptions(putOptions);
      // PutObject needs a known length: a stream of a length the caller states goes straight through;
      // otherwise (without @aws-sdk/lib-storage's multipart upload) a stream is buffered.
      const knownLength = putOptions?.contentLength;
      const streamed = !isByteArray(body) && knownLength !== undefined && Number.isSafeInteger(knownLength);
      const bytes = isByteArray(body)
        ? body
        : streamed
          ? null
          : await readToBuffer(toNodeReadable(body), maxBufferedStreamBytes);
      const size = bytes ? bytes.byteLength : (knownLength as number);
      const response = await send('put', key, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: bytes ?? toNodeReadable(body as NodeJS.ReadableStream | ReadableStream),
            ContentLength: size,
            ContentType: contentType,
            Metadata: metadata,
          }),
        ),
      );
      // PutObject does not return Last-Modified; the local clock is close enough and saves a HEAD per upload.
      const info: StoredObjectInfo = { key, size, contentType, lastModified: new Date(), metadata };
      const etag = normalizeEtag(response.ETag);
      if (etag !== undefined) info.etag = etag;
      return info;
    },

    get: getObject,

    async getBuffer(key: string): Promise<{ info: StoredObjectInfo; body: Buffer }> {
      const { info, body } = await getObject(key);
      try {
        return { info, body: await readToBuffer(body, Number.POSITIVE_INFINITY) };
      } catch (error) {
        throw fail(error, 'get', key);
      }
    },

    head,

    async delete(key: string): Promise<void> {
      assertValidObjectKey(key);
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        // S3 answers 204 for a missing key, but some compatible servers answer 404.
        if (isS3NotFound(error)) return;
        throw fail(error, 'delete', key);
      }
    },

    async list(prefix: string, listOptions?: ListOptions): Promise<ListResult> {
      assertValidObjectPrefix(prefix);
      const limit = resolveListLimit(listOptions);
      const cursor = listOptions?.cursor;
      if (cursor !== undefined && cursor.length === 0) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'invalid list cursor');
      }
      const response = await send('list', undefined, async () => {
        try {
          return await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              MaxKeys: limit,
              ...(prefix.length > 0 ? { Prefix: prefix } : {}),
              ...(cursor === undefined ? {} : { ContinuationToken: cursor }),
            }),
          );
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (cursor !== undefined && status === 400) {
            throw new SwitchyardError('SY_ERR_VALIDATION', 'invalid list cursor');
          }
          throw error;
        }
      });
      // Keys written by other tools that our grammar rejects are skipped: get() could not reach them anyway.
      const keys = (response.Contents ?? []).flatMap((entry) => (isValidObjectKey(entry.Key) ? [entry.Key] : []));
      const infos = await mapWithConcurrency(keys, listHeadConcurrency, head);
      const items = infos.filter((info): info is StoredObjectInfo => info !== undefined);
      const nextCursor = response.IsTruncated ? response.NextContinuationToken : undefined;
      return nextCursor === undefined ? { items } : { items, nextCursor };
    },

    async ping(): Promise<void> {
      await send('ping', undefined, () =>
        client.send(new HeadBucketCommand({ Bucket: bucket }), {
          abortSignal: AbortSignal.timeout(options.pingTimeoutMs ?? 5000),
        }),
      );
    },

    async ensureBucket(): Promise<void> {
      if (await bucketExists()) return;
      try {
        await client.send(
          new CreateBucketCommand({
            Bucket: bucket,
            // us-east-1 is the one region S3 refuses as an explicit location constraint.
            ...(options.region === 'us-east-1'
              ? {}
              : { CreateBucketConfiguration: { LocationConstraint: options.region as BucketLocationConstraint } }),
          }),
        );
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        // Another replica starting at the same time may have won the race.
        if (name === 'BucketAlreadyOwnedByYou') return;
        if (name === 'BucketAlreadyExists' && (await bucketExists())) return;
        throw fail(error, 'create bucket');
      }
    },

    destroy(): void {
      client.destroy();
    },
  };
}
