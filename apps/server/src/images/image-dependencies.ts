import type { ImageQuota } from '@switchyard/core';
import type { IdempotencyRepository } from '@switchyard/db';
import type { ObjectStore } from '@switchyard/storage';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { SettingsStore } from '../settings/settings-store';
import type { ImageModels } from './image-models';

/** What the image routes use: models, daily quotas, the generation job, stored pictures and their rows. */
export interface ImageDependencies {
  readonly databases: Databases;
  readonly imageModels: ImageModels;
  readonly imageQuota: ImageQuota;
  readonly jobs: PlatformJobQueue;
  readonly storage: ObjectStore;
  readonly settings: Pick<SettingsStore, 'current'>;
  readonly idempotency: IdempotencyRepository;
}
