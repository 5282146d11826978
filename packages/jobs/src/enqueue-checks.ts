import { hostname } from 'node:os';
import { environments, SwitchyardError } from '@switchyard/core';
import { findJobDefinition, type JobCatalog, type JobDefinition } from './catalog';
import type { EnqueueOptions } from './job-queue';
import { invalidPayloadError, payloadProblem } from './run-attempt';

/** What every backend checks before it stores a job: known name, valid payload, matching environment, sane delay. */
export function checkEnqueue(
  catalog: JobCatalog,
  name: string,
  payload: unknown,
  options: EnqueueOptions,
): { definition: JobDefinition; delayMs: number } {
  const definition = requireDefinition(catalog, name);
  if (!environments.includes(options.environment)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown environment '${String(options.environment)}'`);
  }
  const problem = payloadProblem(definition, payload);
  if (problem !== undefined) throw new SwitchyardError('SY_ERR_VALIDATION', invalidPayloadError(name, problem).message);
  const payloadEnvironment = (payload as { environment?: unknown } | null)?.environment;
  if (payloadEnvironment !== undefined && payloadEnvironment !== options.environment) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `Job '${name}' is enqueued for '${options.environment}' but its payload names '${String(payloadEnvironment)}'`,
    );
  }
  const delayMs = options.delayMs ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `delayMs must be a finite number ≥ 0, got ${delayMs}`);
  }
  if (options.jobId !== undefined && !/^[A-Za-z0-9._-]{1,200}$/.test(options.jobId)) {
    // BullMQ rejects ids with ':' and all-digit ids; one rule for both backends keeps ids portable.
    throw new SwitchyardError('SY_ERR_VALIDATION', 'jobId must be 1-200 characters of A-Z a-z 0-9 . _ -');
  }
  if (options.jobId !== undefined && /^\d+$/.test(options.jobId)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'jobId must not be all digits');
  }
  return { definition, delayMs: Math.round(delayMs) };
}

export function requireDefinition(catalog: JobCatalog, name: string): JobDefinition {
  const definition = findJobDefinition(catalog, name);
  if (!definition) throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown job '${name}'`);
  return definition;
}

export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export function clampLimit(limit: number | undefined, fallback: number, maximum: number): number {
  return Math.min(Math.max(Math.trunc(limit ?? fallback), 1), maximum);
}
