import type { Environment } from '@switchyard/core';
import type { Job } from 'bullmq';
import type { JobError, JobRecord, JobStatus, JobTrace, JsonValue } from '../job-queue';

/** What a BullMQ job's data holds: the payload plus the environment the job belongs to. */
export interface JobEnvelope {
  environment: Environment;
  payload: unknown;
  /** Absent on jobs enqueued before it existed, and on jobs no request caused. */
  trace?: JobTrace;
}

/** BullMQ progress is stored wrapped, so "no progress yet" (BullMQ's 0) and a reported 0 stay apart. */
export interface ProgressEnvelope {
  data: JsonValue;
}

const codedMessage = /^\[(SY_ERR_[A-Z0-9_]+)\] ([\s\S]*)$/;

/** BullMQ keeps only a failure's message, so the code rides in front of it, readable in any BullMQ dashboard too. */
export function encodeError(error: JobError): string {
  return error.code ? `[${error.code}] ${error.message}` : error.message;
}

export function decodeError(failedReason: string | null | undefined): JobError | null {
  if (!failedReason) return null;
  const match = codedMessage.exec(failedReason);
  return match ? { code: match[1] ?? null, message: match[2] ?? '' } : { code: null, message: failedReason };
}

export function progressOf(job: Job): JsonValue | null {
  const progress = job.progress as unknown;
  if (progress !== null && typeof progress === 'object' && 'data' in progress) {
    return (progress as ProgressEnvelope).data;
  }
  return null;
}

export function statusOf(state: string): JobStatus {
  switch (state) {
    case 'completed':
      return 'completed';
    case 'failed':
      return 'dead';
    case 'active':
      return 'active';
    case 'delayed':
      return 'delayed';
    default:
      // wait, prioritized, paused, waiting-children
      return 'waiting';
  }
}

export function jobToRecord(job: Job, state: string, delayedUntil: number | null): JobRecord {
  const envelope = job.data as JobEnvelope;
  const status = statusOf(state);
  const maxAttempts = job.opts.attempts ?? 1;
  const finished = status === 'completed' || status === 'dead';
  const runAt = delayedUntil ?? job.timestamp + (job.opts.delay ?? 0);
  const updatedAt = Math.max(job.timestamp, job.processedOn ?? 0, job.finishedOn ?? 0);
  return {
    id: job.id ?? '',
    name: job.name,
    environment: envelope.environment,
    payload: envelope.payload,
    status,
    // A start refused for exceeding the limit (a crashed final attempt) is not an attempt that ran.
    attempts: Math.min(job.attemptsStarted, maxAttempts),
    maxAttempts,
    runAt: new Date(runAt),
    lastError: decodeError(job.failedReason),
    result: status === 'completed' ? ((job.returnvalue ?? null) as JsonValue | null) : null,
    progress: progressOf(job),
    createdAt: new Date(job.timestamp),
    updatedAt: new Date(updatedAt),
    finishedAt: finished && job.finishedOn ? new Date(job.finishedOn) : null,
  };
}
