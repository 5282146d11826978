import { createDiskObjectStore, type DiskObjectStore, type DiskObjectStoreOptions } from './disk-store';
import type { ObjectStore } from './object-store';
import type { S3ObjectStore, S3ObjectStoreOptions } from './s3-store';

export type DiskObjectStoreSelection = { kind: 'disk' } & DiskObjectStoreOptions;
export type S3ObjectStoreSelection = { kind: 's3' } & S3ObjectStoreOptions;
export type ObjectStoreOptions = DiskObjectStoreSelection | S3ObjectStoreSelection;

/**
 * Picks the backend from boot config: `disk` in embedded mode, `s3` in server mode. The S3 SDK
 * (~1 MB of code) loads only for `s3`; it is also its own entry point, `@switchyard/storage/s3`.
 */
export async function createObjectStore(options: DiskObjectStoreSelection): Promise<DiskObjectStore>;
export async function createObjectStore(options: S3ObjectStoreSelection): Promise<S3ObjectStore>;
export async function createObjectStore(options: ObjectStoreOptions): Promise<DiskObjectStore | S3ObjectStore>;
export async function createObjectStore(options: ObjectStoreOptions): Promise<ObjectStore> {
  if (options.kind === 'disk') {
    const { kind: _kind, ...diskOptions } = options;
    return createDiskObjectStore(diskOptions);
  }
  const { kind: _kind, ...s3Options } = options;
  const { createS3ObjectStore } = await import('./s3-store');
  return createS3ObjectStore(s3Options);
}
