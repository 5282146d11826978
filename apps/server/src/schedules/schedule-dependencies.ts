import type { SecretScrubber, SwitchyardConfig } from '@switchyard/core';
import { createSchedulesRepository, type SwitchyardDatabase } from '@switchyard/db';
import { createEmbeddedScheduleTicker } from '@switchyard/jobs';
import type { Logger } from 'pino';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { createScheduler, type Scheduler } from './scheduler';

export interface SchedulerDependencies {
  config: Pick<SwitchyardConfig, 'redisUrl'>;
  /** The control-plane database that holds the schedules (and, embedded, the jobs). */
  database: SwitchyardDatabase;
  jobs: PlatformJobQueue;
  logger: Logger;
  secrets: SecretScrubber;
}

/** BullMQ job schedulers when Redis is configured (like the job queue, loaded only then), the database lease otherwise. */
export async function createPlatformScheduler({
  config,
  database,
  jobs,
  logger,
  secrets,
}: SchedulerDependencies): Promise<Scheduler> {
  const onError = (error: unknown, context: string) =>
    logger.error(
      { reason: secrets.scrub(error instanceof Error ? error.message : String(error)), context },
      'scheduler error',
    );
  const ticker = config.redisUrl
    ? (await import('@switchyard/jobs/bullmq')).createBullmqScheduleTicker({ redisUrl: config.redisUrl, onError })
    : createEmbeddedScheduleTicker({ database, onError });
  return createScheduler({ repository: createSchedulesRepository(database.db), ticker, jobs, onError });
}
