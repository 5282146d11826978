import type { SwitchyardConfig } from '@switchyard/core';
import { createObjectStore, type ObjectStore } from '@switchyard/storage';
import type { Logger } from 'pino';

/** S3 when S3_BUCKET is set, a directory under the data dir otherwise. */
export async function openObjectStore(config: Pick<SwitchyardConfig, 'storage'>, logger: Logger): Promise<ObjectStore> {
  const storageConfig = config.storage;
  const storage =
    storageConfig.kind === 'disk'
      ? await createObjectStore({ kind: 'disk', root: storageConfig.root })
      : await createObjectStore({
          kind: 's3',
          bucket: storageConfig.bucket,
          region: storageConfig.region,
          accessKeyId: storageConfig.accessKeyId,
          secretAccessKey: storageConfig.secretAccessKey,
          forcePathStyle: storageConfig.forcePathStyle,
          ...(storageConfig.endpoint ? { endpoint: storageConfig.endpoint } : {}),
        });
  if ('ensureBucket' in storage && typeof storage.ensureBucket === 'function') {
    await (storage.ensureBucket as () => Promise<void>)().catch((error: unknown) => {
      logger.warn({ err: error }, 'could not make sure the S3 bucket exists; /ready will report it');
    });
  }
  return storage;
}

export function closeObjectStore(storage: ObjectStore): void {
  if ('destroy' in storage && typeof storage.destroy === 'function') (storage.destroy as () => void)();
}
