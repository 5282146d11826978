import type { SecretScrubber, SwitchyardConfig } from '@switchyard/core';
import type { SwitchyardDatabase } from '@switchyard/db';
import { createBullmqJobQueue, createEmbeddedJobQueue, type JobQueue, type PlatformJobs } from '@switchyard/jobs';
import type { Logger } from 'pino';

/** The queue every capability enqueues to and registers its job handlers on. */
export type PlatformJobQueue = JobQueue<PlatformJobs>;

export interface JobQueueOptions {
  config: Pick<SwitchyardConfig, 'redisUrl'>;
  /** The control-plane database that holds the embedded queue's rows. */
  database: SwitchyardDatabase;
  catalog: PlatformJobs;
  logger: Logger;
  /** Configured secrets, scrubbed from failure messages before `last_error` stores them. */
  secrets: SecretScrubber;
}

/** BullMQ when Redis is configured, the embedded database-backed queue otherwise. */
export function createJobQueue({ config, database, catalog, logger, secrets }: JobQueueOptions): PlatformJobQueue {
  const onError = (error: unknown, context?: unknown) => logger.error({ err: error, context }, 'job platform error');
  const scrubErrorMessage = (message: string) => secrets.scrub(message);
  return config.redisUrl
    ? createBullmqJobQueue({ redisUrl: config.redisUrl, catalog, onError, scrubErrorMessage })
    : createEmbeddedJobQueue({ database, catalog, onError, scrubErrorMessage });
}
