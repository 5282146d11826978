import type { SecretScrubber, SwitchyardConfig } from '@switchyard/core';
import type { ObjectStore } from '@switchyard/storage';
import type { Logger } from 'pino';
import type { Databases } from '../../infrastructure/databases';
import type { PlatformJobQueue } from '../../jobs/job-queue';
import { pruneBackups } from './backup-retention';
// The backup itself (tar, the database dumps) loads when a backup runs, not with every start.
import type { BackupResult } from './backup-service';

export interface BackupRunDependencies {
  readonly config: SwitchyardConfig;
  readonly databases: Databases;
  readonly storage: ObjectStore;
  readonly secrets: SecretScrubber;
  readonly logger: Pick<Logger, 'info'>;
  readonly now?: () => Date;
}

/** One backup into BACKUP_DIR, then the retention policy applied to that directory. */
export async function backupAndPrune(
  dependencies: BackupRunDependencies,
): Promise<BackupResult & { readonly pruned: readonly string[] }> {
  const { config } = dependencies;
  const { createBackup } = await import('./backup-service');
  const result = await createBackup({
    config,
    databases: dependencies.databases,
    storage: dependencies.storage,
    secrets: dependencies.secrets,
    ...(dependencies.now ? { now: dependencies.now } : {}),
  });
  const pruned = await pruneBackups(config.backup.dir, config.backup);
  dependencies.logger.info(
    { path: result.path, files: result.manifest.files.length, objects: result.manifest.storage.objects, pruned },
    'backup written',
  );
  return { ...result, pruned };
}

/** `maintenance.backup`, fired by the `system.backup` schedule. */
export async function registerBackupJob(jobs: PlatformJobQueue, dependencies: BackupRunDependencies): Promise<void> {
  await jobs.process('maintenance.backup', async () => {
    const result = await backupAndPrune(dependencies);
    return { path: result.path, objects: result.manifest.storage.objects, pruned: result.pruned.length };
  });
}
