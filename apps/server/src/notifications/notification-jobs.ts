import type { JobContext, JobPayload, PlatformJobs } from '@switchyard/jobs';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { NotificationService } from './notification-service';

type DeliverPayload = JobPayload<PlatformJobs, 'notification.deliver'>;
type DigestPayload = JobPayload<PlatformJobs, 'notifications.digest'>;

/**
 * `notification.deliver` sends one batch on one channel (retried on the catalog's back-off while the mail
 * server is down, then dead-lettered); `notifications.digest` turns what waits for the daily digest into
 * batches. A schedule runs the digest with `{ "environment": "prod" }` (and one for dev).
 */
export async function registerNotificationJobs(
  jobs: PlatformJobQueue,
  notifications: NotificationService,
): Promise<void> {
  await jobs.process('notification.deliver', async ({ payload, signal }: JobContext<DeliverPayload>) =>
    notifications.deliverBatch(payload.environment, payload.channel, payload.batchId, signal),
  );
  await jobs.process('notifications.digest', async ({ payload }: JobContext<DigestPayload>) =>
    notifications.runDigest(payload.environment),
  );
}
