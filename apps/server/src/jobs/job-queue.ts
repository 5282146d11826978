import type { SecretScrubber, SwitchyardConfig } from '@switchyard/core';
import type { SwitchyardDatabase } from '@switchyard/db';
import { createEmbeddedJobQueue, type JobQueue, type JobTrace, type PlatformJobs } from '@switchyard/jobs';
import type { Logger } from 'pino';
import type { Tracing } from '../edge/tracing';

/** The queue every capability enqueues to and registers its job handlers on. */
export type PlatformJobQueue = JobQueue<PlatformJobs>;

export interface JobQueueOptions {
  config: Pick<SwitchyardConfig, 'redisUrl'> & Partial<Pick<SwitchyardConfig, 'jobs'>>;
  /** The control-plane database that holds the embedded queue's rows. */
  database: SwitchyardDatabase;
  catalog: PlatformJobs;
  logger: Logger;
  /** Configured secrets, scrubbed from failure messages before `last_error` stores them. */
  secrets: SecretScrubber;
  /** Job spans; null or absent: no tracing. */
  tracing?: Tracing | null;
}

/** BullMQ when Redis is configured (loaded only then), the embedded database-backed queue otherwise. */
export async function createJobQueue(options: JobQueueOptions): Promise<PlatformJobQueue> {
  const { config, database, catalog, logger, secrets } = options;
  const onError = (error: unknown, context?: unknown) => logger.error({ err: error, context }, 'job platform error');
  const scrubErrorMessage = (message: string) => secrets.scrub(message);
  const retention = config.jobs ?? { retainCompletedHours: 24, retainCompletedCount: 10_000 };
  const queue = config.redisUrl
    ? (await import('@switchyard/jobs/bullmq')).createBullmqJobQueue({
        redisUrl: config.redisUrl,
        catalog,
        onError,
        scrubErrorMessage,
        retainCompleted: { ageSeconds: retention.retainCompletedHours * 3600, count: retention.retainCompletedCount },
      })
    : createEmbeddedJobQueue({
        database,
        catalog,
        onError,
        scrubErrorMessage,
        retainCompletedMs: retention.retainCompletedHours * 3_600_000,
      });
  return withRequestTrace(queue, logger, options.tracing ?? null, scrubErrorMessage);
}

/**
 * Jobs remember the request that enqueued them: the caller passes its id (`trace: { requestId:
 * request.id }`, see requestTrace), the trace context is added when tracing. Each attempt logs its end with
 * that request id (`reqId`), and runs in a span joined to the request's trace.
 */
export function withRequestTrace(
  queue: PlatformJobQueue,
  logger: Logger,
  tracing: Tracing | null,
  scrub: (message: string) => string,
): PlatformJobQueue {
  const enqueue: PlatformJobQueue['enqueue'] = (name, payload, enqueueOptions) => {
    const carrier = tracing?.carrier() ?? null;
    if (carrier === null) return queue.enqueue(name, payload, enqueueOptions);
    const trace: JobTrace = { ...enqueueOptions.trace, ...carrier };
    return queue.enqueue(name, payload, { ...enqueueOptions, trace });
  };
  const process: PlatformJobQueue['process'] = (name, handler, processOptions) =>
    queue.process(
      name,
      async (job) => {
        const log = logger.child({
          job: job.name,
          jobId: job.id,
          attempt: job.attempt,
          ...(job.trace?.requestId ? { reqId: job.trace.requestId } : {}),
        });
        const started = performance.now();
        const run = async () => {
          try {
            const result = await handler(job);
            log.info({ durationMs: Math.round(performance.now() - started) }, 'job attempt completed');
            return result;
          } catch (error) {
            log.warn(
              {
                durationMs: Math.round(performance.now() - started),
                reason: scrub(error instanceof Error ? error.message : String(error)).slice(0, 300),
              },
              'job attempt failed',
            );
            throw error;
          }
        };
        return tracing ? tracing.job(job, job.trace ?? null, run) : run();
      },
      processOptions,
    );
  return { ...queue, enqueue, process };
}
