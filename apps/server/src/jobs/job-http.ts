import { SwitchyardError } from '@switchyard/core';
import type { JobRecord } from '@switchyard/jobs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sseEvent, sseHeaders } from '../edge/sse';
import type { PlatformJobQueue } from './job-queue';

export type PublicJobStatus = 'queued' | 'running' | 'completed' | 'failed';

export function publicStatus(job: JobRecord): PublicJobStatus {
  switch (job.status) {
    case 'waiting':
    case 'delayed':
      return job.attempts > 0 ? 'running' : 'queued';
    case 'active':
      return 'running';
    case 'completed':
      return 'completed';
    case 'dead':
      return 'failed';
  }
}

/** A job the caller may see: same environment and same subject, anything else is 404 (never 403, which would confirm it exists). */
export async function ownedJob(
  jobs: PlatformJobQueue,
  request: FastifyRequest,
  id: string,
  name: string,
): Promise<JobRecord> {
  const job = await jobs.get(id).catch(() => undefined);
  const principal = request.principal;
  const payload = job?.payload as { subject?: string } | undefined;
  if (
    !job ||
    !principal ||
    job.name !== name ||
    job.environment !== principal.environment ||
    payload?.subject !== principal.subject
  ) {
    throw new SwitchyardError('SY_ERR_NOT_FOUND', `No job with id '${id}'`);
  }
  return job;
}

/**
 * Streams a job's progress as server-sent events: its state now, then
 * `progress`, `retrying`, and finally `completed` or `failed`, after which the
 * stream ends. A comment line every 15 s keeps proxies from closing it.
 */
export async function streamJobEvents(
  jobs: PlatformJobQueue,
  request: FastifyRequest,
  reply: FastifyReply,
  job: JobRecord,
  describe: (job: JobRecord) => unknown,
): Promise<void> {
  reply.hijack();
  request.streaming = true;
  reply.raw.writeHead(200, { ...sseHeaders, 'x-environment': job.environment });
  const write = (text: string) => {
    if (!reply.raw.writableEnded) reply.raw.write(text);
  };
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearInterval(heartbeat);
    void unsubscribe.then((stop) => stop());
    if (!reply.raw.writableEnded) reply.raw.end();
  };
  const heartbeat = setInterval(() => write(': keep-alive\n\n'), 15_000);
  const unsubscribe = jobs.subscribe(job.id, (event) => {
    if (event.type === 'progress') write(sseEvent('progress', event.data));
    if (event.type === 'completed') {
      void jobs.get(job.id).then((latest) => {
        write(sseEvent('completed', latest ? describe(latest) : { id: job.id, status: 'completed' }));
        finish();
      });
    }
    if (event.type === 'failed') {
      if (event.dead) {
        write(sseEvent('failed', { id: job.id, status: 'failed', error: event.error }));
        finish();
      } else {
        write(sseEvent('retrying', { attempt: event.attempt, error: event.error, retry_at: event.retryAt }));
      }
    }
  });
  request.raw.once('close', finish);
  await unsubscribe;
  // The job may have finished before the subscription was in place.
  const current = (await jobs.get(job.id)) ?? job;
  write(sseEvent('status', describe(current)));
  if (current.status === 'completed') {
    write(sseEvent('completed', describe(current)));
    finish();
  } else if (current.status === 'dead') {
    write(sseEvent('failed', { id: current.id, status: 'failed', error: current.lastError }));
    finish();
  }
}
