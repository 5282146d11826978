export interface PutOptions {
  contentType?: string;
  /** Keys are stored lower-cased, as S3 does; see `normalizePutOptions`. */
  metadata?: Record<string, string>;
  /**
   * The exact size of a stream body (e.g. a file on disk): S3 then streams it through instead of
   * buffering it in memory first (PutObject needs the length up front). Ignored for byte bodies.
   */
  contentLength?: number;
}

export interface StoredObjectInfo {
  key: string;
  size: number;
  contentType: string;
  /** MD5 hex of the content where the backend knows it, without the quotes S3 puts around it. */
  etag?: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

export type ObjectBody = Buffer | Uint8Array | NodeJS.ReadableStream | ReadableStream;

export interface ListOptions {
  /** 1 to 1000; defaults to 100. */
  limit?: number;
  /** Opaque `nextCursor` from the previous page. */
  cursor?: string;
}

export interface ListResult {
  items: StoredObjectInfo[];
  nextCursor?: string;
}

/**
 * Object storage behind one interface: a directory on disk in embedded mode,
 * S3-compatible storage in server mode. Both pass the same contract suite
 * (`describeObjectStoreContract` in @switchyard/testkit).
 */
export interface ObjectStore {
  readonly backend: 'disk' | 's3';
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<StoredObjectInfo>;
  /** Throws SY_ERR_NOT_FOUND when the object does not exist. */
  get(key: string): Promise<{ info: StoredObjectInfo; body: NodeJS.ReadableStream }>;
  /** Throws SY_ERR_NOT_FOUND when the object does not exist. */
  getBuffer(key: string): Promise<{ info: StoredObjectInfo; body: Buffer }>;
  head(key: string): Promise<StoredObjectInfo | undefined>;
  /** Succeeds whether or not the object exists. */
  delete(key: string): Promise<void>;
  /** Objects whose key starts with `prefix` ('' for all), sorted by key. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Throws SY_ERR_DEPENDENCY_UNAVAILABLE when the storage cannot be used; for /ready. */
  ping(): Promise<void>;
}

export const defaultContentType = 'application/octet-stream';
export const defaultListLimit = 100;
export const maxListLimit = 1000;
