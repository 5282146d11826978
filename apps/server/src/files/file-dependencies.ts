import type { ObjectStore } from '@switchyard/storage';
import type { AudioAttachments } from '../audio/audio-attachments';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { SettingsStore } from '../settings/settings-store';

/** What uploads use: the owner's database, the stored bytes, the extraction job and the upload limits. */
export interface FileDependencies {
  readonly databases: Databases;
  readonly storage: ObjectStore;
  readonly jobs: PlatformJobQueue;
  readonly settings: Pick<SettingsStore, 'current'>;
  /** Audio files are transcribed (their transcript is their text) instead of extracted; absent: audio is refused. */
  readonly audioAttachments?: AudioAttachments;
}
