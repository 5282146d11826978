import type { ObjectStore } from '@switchyard/storage';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { SettingsStore } from '../settings/settings-store';
import type { AudioModels } from './audio-models';
import type { AudioQuota } from './audio-quota';

/** What the audio routes use: the models, the daily minutes, settings, and the job platform for long recordings. */
export interface AudioDependencies {
  readonly audioModels: AudioModels;
  readonly audioQuota: AudioQuota;
  readonly settings: Pick<SettingsStore, 'current'>;
  readonly jobs: PlatformJobQueue;
  readonly storage: ObjectStore;
  /** Stored recordings' rows and the chats transcripts are posted to, in each environment's database. */
  readonly databases: Databases;
}
