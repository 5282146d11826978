import { environments, SwitchyardError } from '@switchyard/core';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import {
  defaultBackoffScheduleMs,
  defineCatalog,
  defineJob,
  EnvironmentSchema,
  type JobPayload,
  type PlatformJobs,
  platformJobs,
  retryDelayMs,
  withBackoffSchedule,
} from './catalog';
import { classifyFailure, markUnrecoverable, UnrecoverableJobError } from './failure';
import { payloadProblem, runAttempt } from './run-attempt';

const chatPayload: JobPayload<PlatformJobs, 'chat.complete'> = {
  environment: 'prod',
  apiKeyId: null,
  model: 'llama3.2',
  messages: [{ role: 'user', content: 'Hello' }],
  params: { temperature: 0.2 },
  conversationId: 'conversation-1',
};

describe('job catalog', () => {
  it('defaults to the escalating schedule of 1 min, 10 min, 1 h, 1 day, then the dead-letter queue', () => {
    const job = defineJob('test.defaults', { payload: Type.Object({}) });
    expect(job).toMatchObject({ attempts: 5, timeoutMs: 300_000, concurrency: 1, retryable: true });
    expect(job.backoffMs).toEqual([60_000, 600_000, 3_600_000, 86_400_000]);
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(job, attempt))).toEqual([...defaultBackoffScheduleMs]);
  });

  it('repeats the last delay when there are more attempts than delays', () => {
    const job = defineJob('test.long', { payload: Type.Object({}), attempts: 8, backoffMs: [10, 20] });
    expect([1, 2, 3, 7].map((attempt) => retryDelayMs(job, attempt))).toEqual([10, 20, 20, 20]);
    expect(retryDelayMs(defineJob('test.none', { payload: Type.Object({}), backoffMs: [] }), 1)).toBe(0);
  });

  it('refuses definitions that cannot work', () => {
    const payload = Type.Object({});
    expect(() => defineJob('Bad:Name', { payload })).toThrow(/name/);
    expect(() => defineJob('test.zero', { payload, attempts: 0 })).toThrow(/attempts/);
    expect(() => defineJob('test.negative', { payload, backoffMs: [-1] })).toThrow(/back-off/);
    expect(() => defineJob('test.timeout', { payload, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => defineJob('test.concurrency', { payload, concurrency: 1.5 })).toThrow(/concurrency/);
    const job = defineJob('test.twice', { payload });
    expect(() => defineCatalog([job, job])).toThrow(/twice/);
  });

  it('swaps the schedule everywhere for tests, keeping everything else', () => {
    const fast = withBackoffSchedule(platformJobs, [5, 10]);
    expect(fast['chat.complete']).toMatchObject({
      name: 'chat.complete',
      attempts: 5,
      backoffMs: [5, 10],
      concurrency: platformJobs['chat.complete'].concurrency,
    });
    expect(fast['chat.complete'].payload).toBe(platformJobs['chat.complete'].payload);
    expect(platformJobs['chat.complete'].backoffMs).toEqual(defaultBackoffScheduleMs);
  });

  it('accepts exactly the environments core knows in payloads', () => {
    const check = Compile(EnvironmentSchema);
    for (const environment of environments) expect(check.Check(environment)).toBe(true);
    expect(check.Check('staging')).toBe(false);
  });

  it('holds the platform jobs with payload schemas that accept real payloads and refuse broken ones', () => {
    expect(Object.keys(platformJobs).sort()).toEqual([
      'audio.transcribe',
      'chat.complete',
      'document.extract',
      'image.generate',
      'maintenance.backup',
      'maintenance.purge',
      'message.send',
      'notification.deliver',
      'notifications.digest',
      'search.run',
      'skill.call',
      'whatsapp.webhook',
    ]);
    expect(payloadProblem(platformJobs['chat.complete'], chatPayload)).toBeUndefined();
    expect(payloadProblem(platformJobs['chat.complete'], { ...chatPayload, messages: [] })).toMatch(/messages/);
    expect(
      payloadProblem(platformJobs['image.generate'], {
        environment: 'dev',
        subject: 'ip:203.0.113.7',
        prompt: 'a lighthouse at dusk',
        width: 1024,
        height: 1024,
        steps: 30,
        imageId: 'image-1',
      }),
    ).toBeUndefined();
    expect(
      payloadProblem(platformJobs['document.extract'], {
        environment: 'prod',
        documentId: 'document-1',
        objectKey: 'uploads/document-1.pdf',
        mimeType: 'application/pdf',
      }),
    ).toBeUndefined();
    const message = { environment: 'prod', apiKeyId: 'key-1', channel: 'whatsapp', to: '+4915112345678', text: 'Hi' };
    expect(payloadProblem(platformJobs['message.send'], message)).toBeUndefined();
    expect(payloadProblem(platformJobs['message.send'], { ...message, to: '015112345678' })).toMatch(/to/);
    const queued = { environment: 'dev', apiKeyId: null, channel: 'whatsapp', to: '+4915112345678', messageId: 'm-1' };
    expect(payloadProblem(platformJobs['message.send'], queued)).toBeUndefined();
    expect(
      payloadProblem(platformJobs['whatsapp.webhook'], { environment: 'prod', deliveryId: 'delivery-1' }),
    ).toBeUndefined();
    const purge = { environment: 'prod', target: 'consumed-events' };
    expect(payloadProblem(platformJobs['maintenance.purge'], purge)).toBeUndefined();
    expect(payloadProblem(platformJobs['maintenance.purge'], { ...purge, target: 'everything' })).toMatch(/target/);
    expect(payloadProblem(platformJobs['search.run'], { environment: 'prod', searchId: 'search-1' })).toBeUndefined();
    const delivery = { environment: 'prod', channel: 'email', batchId: 'ndl_1_email' };
    expect(payloadProblem(platformJobs['notification.deliver'], delivery)).toBeUndefined();
    expect(payloadProblem(platformJobs['notification.deliver'], { ...delivery, channel: 'sms' })).toMatch(/channel/);
    expect(payloadProblem(platformJobs['notifications.digest'], { environment: 'dev' })).toBeUndefined();
  });
});

describe('failure classification', () => {
  const retryable = { retryable: true };

  it('retries unknown errors and retryable SwitchyardErrors, not the rest', () => {
    expect(classifyFailure(new Error('socket hang up'), retryable)).toEqual({
      retryable: true,
      error: { message: 'socket hang up', code: null },
    });
    expect(classifyFailure(new SwitchyardError('SY_ERR_UPSTREAM_RATE_LIMITED', 'slow down'), retryable)).toEqual({
      retryable: true,
      error: { message: 'slow down', code: 'SY_ERR_UPSTREAM_RATE_LIMITED' },
    });
    expect(classifyFailure(new SwitchyardError('SY_ERR_VALIDATION', 'bad'), retryable).retryable).toBe(false);
    expect(classifyFailure(new UnrecoverableJobError('gone', { code: 'SY_ERR_NOT_FOUND' }), retryable)).toEqual({
      retryable: false,
      error: { message: 'gone', code: 'SY_ERR_NOT_FOUND' },
    });
    expect(classifyFailure(markUnrecoverable(new TypeError('broken')), retryable).retryable).toBe(false);
    const bullmqStyle = Object.assign(new Error('stop'), { name: 'UnrecoverableError' });
    expect(classifyFailure(bullmqStyle, retryable).retryable).toBe(false);
    expect(classifyFailure(new Error('any'), { retryable: false }).retryable).toBe(false);
    expect(classifyFailure('a string', retryable)).toEqual({
      retryable: true,
      error: { message: 'a string', code: null },
    });
  });
});

describe('runAttempt', () => {
  const definition = defineJob('test.attempt', {
    payload: Type.Object({ n: Type.Integer() }),
    timeoutMs: 50,
  });
  const job = { id: 'job-1', name: 'test.attempt', environment: 'prod' as const, payload: { n: 1 }, attempt: 1 };
  const base = {
    definition,
    job: { ...job, maxAttempts: 5 },
    interrupt: new AbortController().signal,
    reportProgress: async () => {},
  };

  it('returns what JSON can carry, and refuses a result that is not JSON', async () => {
    expect(await runAttempt({ ...base, handler: () => ({ at: new Date(0) }) as never })).toEqual({
      kind: 'completed',
      result: { at: '1970-01-01T00:00:00.000Z' },
    });
    expect(await runAttempt({ ...base, handler: () => undefined })).toEqual({ kind: 'completed', result: null });
    const outcome = await runAttempt({ ...base, handler: () => ({ big: 1n }) as never });
    expect(outcome).toMatchObject({ kind: 'failed', retryable: false, error: { code: 'SY_ERR_INTERNAL' } });
  });

  it('stops waiting for a handler that ignores its signal at the timeout', async () => {
    const started = Date.now();
    const outcome = await runAttempt({ ...base, handler: () => new Promise(() => {}) });
    expect(outcome).toEqual({
      kind: 'failed',
      retryable: true,
      error: { code: 'SY_ERR_JOB_TIMEOUT', message: 'attempt timed out after 50 ms' },
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports an interruption, not a failure, when the backend stops the attempt', async () => {
    const { JobInterruption } = await import('./run-attempt');
    const controller = new AbortController();
    const running = runAttempt({
      ...base,
      definition: defineJob('test.attempt', { payload: definition.payload, timeoutMs: 10_000 }),
      interrupt: controller.signal,
      handler: ({ signal }) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    controller.abort(new JobInterruption('lease-lost'));
    expect(await running).toEqual({ kind: 'interrupted', reason: 'lease-lost' });
  });

  it('scrubs the failure message before the backend stores it as last_error', async () => {
    const outcome = await runAttempt({
      ...base,
      handler: () => {
        throw new Error('upstream said: bad key header-secret-123');
      },
      scrubErrorMessage: (message) => message.replaceAll('header-secret-123', '[redacted]'),
    });
    expect(outcome).toMatchObject({ kind: 'failed', error: { message: 'upstream said: bad key [redacted]' } });
  });

  it('fails a payload that does not match the schema without calling the handler', async () => {
    let called = false;
    const outcome = await runAttempt({
      ...base,
      job: { ...base.job, payload: { n: 'one' } },
      handler: () => {
        called = true;
        return null;
      },
    });
    expect(outcome).toMatchObject({ kind: 'failed', retryable: false, error: { code: 'SY_ERR_VALIDATION' } });
    expect(called).toBe(false);
  });
});
