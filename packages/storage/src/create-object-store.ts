import { createDiskObjectStore, type DiskObjectStore, type DiskObjectStoreOptions } from './disk-store';
import type { ObjectStore } from './object-store';
import { createS3ObjectStore, type S3ObjectStore, type S3ObjectStoreOptions } from './s3-store';

export type DiskObjectStoreSelection = { kind: 'disk' } & DiskObjectStoreOptions;
export type S3ObjectStoreSelection = { kind: 's3' } & S3ObjectStoreOptions;
export type ObjectStoreOptions = DiskObjectStoreSelection | S3ObjectStoreSelection;

/** Picks the backend from boot config: `disk` in embedded mode, `s3` in server mode. */
export function createObjectStore(options: DiskObjectStoreSelection): DiskObjectStore;
export function createObjectStore(options: S3ObjectStoreSelection): S3ObjectStore;
export function createObjectStore(options: ObjectStoreOptions): DiskObjectStore | S3ObjectStore;
export function createObjectStore(options: ObjectStoreOptions): ObjectStore {
  if (options.kind === 'disk') {
    const { kind: _kind, ...diskOptions } = options;
    return createDiskObjectStore(diskOptions);
  }
  const { kind: _kind, ...s3Options } = options;
  return createS3ObjectStore(s3Options);
}
