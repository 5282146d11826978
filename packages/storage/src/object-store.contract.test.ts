import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeObjectStoreContract, startTestS3Server, type TestS3Server } from '@switchyard/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createDiskObjectStore } from './disk-store';
import { createS3ObjectStore, type S3ObjectStore } from './s3-store';

const temporaryDirectories: string[] = [];
const s3Stores: S3ObjectStore[] = [];
let s3Server: TestS3Server | undefined;
let bucketCount = 0;

beforeAll(async () => {
  s3Server = await startTestS3Server();
});

afterAll(async () => {
  for (const store of s3Stores) store.destroy();
  await s3Server?.close();
  await Promise.all(temporaryDirectories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describeObjectStoreContract('disk', async () => {
  const directory = await mkdtemp(path.join(tmpdir(), 'switchyard-objects-'));
  temporaryDirectories.push(directory);
  // A root that does not exist yet, as on a first start.
  return createDiskObjectStore({ root: path.join(directory, 'data', 'objects') });
});

describeObjectStoreContract('s3 (s3rver)', async () => {
  if (s3Server === undefined) throw new Error('the test S3 server did not start');
  bucketCount += 1;
  // A bucket per test keeps every store empty; ensureBucket creates it as on a first start.
  const store = createS3ObjectStore({
    endpoint: s3Server.endpoint,
    bucket: `contract-${bucketCount}`,
    region: s3Server.region,
    accessKeyId: s3Server.accessKeyId,
    secretAccessKey: s3Server.secretAccessKey,
  });
  s3Stores.push(store);
  await store.ensureBucket();
  return store;
});
