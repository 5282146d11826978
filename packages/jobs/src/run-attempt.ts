import type { Environment } from '@switchyard/core';
import { Compile, type Validator } from 'typebox/compile';
import type { JobDefinition } from './catalog';
import { classifyFailure, jobErrorCodes } from './failure';
import type { JobError, JobHandler, JobTrace, JsonValue } from './job-queue';

/** Why a running attempt was stopped from outside; none of these is the job's fault. */
export type InterruptReason = 'shutdown' | 'crash' | 'lease-lost';

export class JobInterruption extends Error {
  readonly reason: InterruptReason;

  constructor(reason: InterruptReason) {
    super(`job interrupted: ${reason}`);
    this.name = 'JobInterruption';
    this.reason = reason;
  }
}

export class JobTimeoutError extends Error {
  readonly code = jobErrorCodes.timeout;

  constructor(timeoutMs: number) {
    super(`attempt timed out after ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}

export type AttemptOutcome =
  | { kind: 'completed'; result: JsonValue }
  | { kind: 'failed'; error: JobError; retryable: boolean }
  | { kind: 'interrupted'; reason: InterruptReason };

export interface AttemptInput {
  definition: JobDefinition;
  // biome-ignore lint/suspicious/noExplicitAny: payloads are checked against the schema at run time
  handler: JobHandler<any>;
  job: {
    id: string;
    name: string;
    environment: Environment;
    payload: unknown;
    attempt: number;
    maxAttempts: number;
    trace?: JobTrace | null;
  };
  /** Aborted with a JobInterruption when the backend stops the attempt. */
  interrupt: AbortSignal;
  reportProgress(data: JsonValue): Promise<void>;
  /** Applied to a failure's message before anything stores or publishes it (configured secrets). */
  scrubErrorMessage?: ((message: string) => string) | undefined;
}

const validators = new WeakMap<JobDefinition, Validator>();

/** Describes what is wrong with a payload, or returns undefined when it matches the schema. */
export function payloadProblem(definition: JobDefinition, payload: unknown): string | undefined {
  let validator = validators.get(definition);
  if (!validator) {
    // Compiled once per definition: checking then costs well under a microsecond per job.
    validator = Compile(definition.payload);
    validators.set(definition, validator);
  }
  if (validator.Check(payload)) return undefined;
  const problems = validator
    .Errors(payload)
    .slice(0, 5)
    .map((error) => `${error.instancePath || '/'} ${error.message}`);
  return problems.join('; ') || 'does not match the schema';
}

export function invalidPayloadError(name: string, problem: string): JobError {
  return { code: jobErrorCodes.invalidPayload, message: `Invalid payload for job '${name}': ${problem}` };
}

function interruptionReason(signal: AbortSignal): InterruptReason {
  return signal.reason instanceof JobInterruption ? signal.reason.reason : 'shutdown';
}

/**
 * Runs one attempt: payload check, handler with timeout and abort signal, and
 * sorting the result into completed / failed (retryable or not) / interrupted.
 * Both backends share it, so they agree on what counts as what.
 */
export async function runAttempt(input: AttemptInput): Promise<AttemptOutcome> {
  const outcome = await runAttemptUnscrubbed(input);
  const scrub = input.scrubErrorMessage;
  if (outcome.kind !== 'failed' || scrub === undefined) return outcome;
  return { ...outcome, error: { ...outcome.error, message: scrub(outcome.error.message) } };
}

async function runAttemptUnscrubbed(input: AttemptInput): Promise<AttemptOutcome> {
  const { definition, job, interrupt } = input;
  const problem = payloadProblem(definition, job.payload);
  if (problem !== undefined) {
    return { kind: 'failed', retryable: false, error: invalidPayloadError(job.name, problem) };
  }
  if (interrupt.aborted) return { kind: 'interrupted', reason: interruptionReason(interrupt) };

  const controller = new AbortController();
  const forwardInterrupt = () => controller.abort(interrupt.reason);
  interrupt.addEventListener('abort', forwardInterrupt, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new JobTimeoutError(definition.timeoutMs));
  }, definition.timeoutMs);
  // A handler that ignores its signal must not keep the attempt alive past a timeout or shutdown.
  const stopped = new Promise<'stopped'>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  const timeoutFailure = (): AttemptOutcome => ({
    kind: 'failed',
    retryable: definition.retryable,
    error: { code: jobErrorCodes.timeout, message: `attempt timed out after ${definition.timeoutMs} ms` },
  });

  try {
    const running = Promise.resolve().then(() =>
      input.handler({
        id: job.id,
        name: job.name,
        environment: job.environment,
        payload: job.payload,
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
        trace: job.trace ?? null,
        signal: controller.signal,
        reportProgress: input.reportProgress,
      }),
    );
    running.catch(() => {});
    const winner = await Promise.race([running.then((value) => ({ value })), stopped]);
    if (winner === 'stopped') {
      return interrupt.aborted ? { kind: 'interrupted', reason: interruptionReason(interrupt) } : timeoutFailure();
    }
    return toCompleted(winner.value);
  } catch (error) {
    if (interrupt.aborted) return { kind: 'interrupted', reason: interruptionReason(interrupt) };
    if (timedOut) return timeoutFailure();
    return { kind: 'failed', ...classifyFailure(error, definition) };
  } finally {
    clearTimeout(timer);
    interrupt.removeEventListener('abort', forwardInterrupt);
  }
}

/** Stores exactly what JSON can carry, so both backends return the same result to readers. */
function toCompleted(value: JsonValue | undefined): AttemptOutcome {
  if (value === undefined) return { kind: 'completed', result: null };
  try {
    return { kind: 'completed', result: JSON.parse(JSON.stringify(value)) as JsonValue };
  } catch (error) {
    return {
      kind: 'failed',
      retryable: false,
      error: {
        code: jobErrorCodes.invalidResult,
        message: `handler returned a value that is not JSON: ${(error as Error).message}`,
      },
    };
  }
}
