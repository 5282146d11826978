import { isSwitchyardError } from '@switchyard/core';
import type { JobDefinition } from './catalog';
import type { JobError } from './job-queue';

/**
 * Codes for failures the job platform itself detects. They are not HTTP
 * errors, so they live here rather than in core's error table.
 */
export const jobErrorCodes = Object.freeze({
  /** The attempt ran longer than the catalog's timeoutMs. */
  timeout: 'SY_ERR_JOB_TIMEOUT',
  /** The worker running the final attempt disappeared (crash, lost lease). */
  lost: 'SY_ERR_JOB_LOST',
  /** The payload does not match the catalog's schema. */
  invalidPayload: 'SY_ERR_VALIDATION',
  /** The handler returned something that is not JSON. */
  invalidResult: 'SY_ERR_INTERNAL',
});

const unrecoverableMark = Symbol.for('switchyard.jobs.unrecoverable');

/** Sends the job to the dead-letter queue at once, whatever attempts are left. */
export class UnrecoverableJobError extends Error {
  readonly [unrecoverableMark] = true;
  readonly code: string | null;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UnrecoverableJobError';
    this.code = options.code ?? null;
  }
}

/** Marks any error so that the job is not retried; returns the same error for `throw markUnrecoverable(error)`. */
export function markUnrecoverable<ErrorType extends Error>(error: ErrorType): ErrorType {
  Object.defineProperty(error, unrecoverableMark, { value: true, enumerable: false });
  return error;
}

/** Ours, marked ones, and BullMQ's UnrecoverableError (recognised by name so handlers need not import bullmq). */
export function isUnrecoverable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    (error as Error & { [unrecoverableMark]?: boolean })[unrecoverableMark] === true ||
    error.name === 'UnrecoverableError'
  );
}

export interface ClassifiedFailure {
  error: JobError;
  retryable: boolean;
}

/**
 * A SwitchyardError retries only when `isRetryable` (429 and 5xx from
 * upstreams); unknown errors (network, bugs that may be transient) retry;
 * a job defined as not retryable never does.
 */
export function classifyFailure(error: unknown, definition: Pick<JobDefinition, 'retryable'>): ClassifiedFailure {
  const retryable =
    definition.retryable && !isUnrecoverable(error) && (isSwitchyardError(error) ? error.isRetryable : true);
  return { error: toJobError(error), retryable };
}

export function toJobError(error: unknown): JobError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      message: error.message || error.name,
      code: typeof code === 'string' && code.startsWith('SY_ERR_') ? code : null,
    };
  }
  return { message: String(error), code: null };
}
