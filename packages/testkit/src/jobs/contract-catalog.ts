import { defineCatalog, defineJob } from '@switchyard/jobs';
import Type from 'typebox';

/** Short enough that every retry test finishes in well under a second. */
export const contractBackoffMs: readonly number[] = Object.freeze([50, 100, 200]);

const common = { backoffMs: contractBackoffMs, timeoutMs: 10_000 } as const;

/** Jobs the contract suite runs; each backend gets exactly this catalog. */
export const contractJobs = defineCatalog([
  defineJob('test.echo', {
    ...common,
    payload: Type.Object({ value: Type.String(), waitMs: Type.Optional(Type.Integer({ minimum: 0 })) }),
    concurrency: 4,
  }),
  defineJob('test.flaky', {
    ...common,
    payload: Type.Object({
      /** Attempts that fail before one succeeds; -1 fails every time. */
      failTimes: Type.Integer({ minimum: -1 }),
      failure: Type.Union([
        Type.Literal('plain'),
        Type.Literal('retryable-switchyard'),
        Type.Literal('non-retryable-switchyard'),
        Type.Literal('unrecoverable'),
      ]),
    }),
  }),
  defineJob('test.slow', {
    payload: Type.Object({ ms: Type.Integer({ minimum: 0 }) }),
    attempts: 1,
    timeoutMs: 150,
  }),
  defineJob('test.versioned', {
    ...common,
    payload: Type.Object({ count: Type.String() }),
  }),
  defineJob('test.durable', {
    payload: Type.Object({ index: Type.Integer(), ms: Type.Integer({ minimum: 0 }) }),
    // Generous: a job may be interrupted by several kills in a row and must never run out.
    attempts: 20,
    backoffMs: [10],
    timeoutMs: 10_000,
    concurrency: 8,
  }),
]);
export type ContractJobs = typeof contractJobs;

/** An older release's idea of `test.versioned`: its payloads no longer match the current schema. */
export const previousContractJobs = defineCatalog([
  defineJob('test.versioned', { ...common, payload: Type.Object({ count: Type.Number() }) }),
]);
