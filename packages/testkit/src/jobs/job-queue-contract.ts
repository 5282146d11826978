import { randomUUID } from 'node:crypto';
import { SwitchyardError, sleep } from '@switchyard/core';
import {
  type Clock,
  type JobCatalog,
  type JobEvent,
  type JobQueue,
  type JobRecord,
  type JobStatus,
  jobErrorCodes,
  markUnrecoverable,
} from '@switchyard/jobs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../clock';
import { errorOf } from '../error-of';
import { contractBackoffMs, contractJobs, previousContractJobs } from './contract-catalog';

/**
 * One backend under test. Every queue from `connect` shares one store
 * (database or Redis prefix), so several of them behave like several
 * processes; `reset` closes them and empties the store.
 */
export interface JobQueueContractFixture {
  connect<Catalog extends JobCatalog>(catalog: Catalog, options?: { clock?: Clock }): Promise<JobQueue<Catalog>>;
  /**
   * true when `connect` schedules by an injected clock (the embedded backend);
   * false where the store keeps the time (BullMQ schedules by Redis time).
   */
  readonly injectableClock: boolean;
  reset(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A configured secret as the server scrubs it; every fixture passes this as `scrubErrorMessage`. */
export const contractSecret = 'contract-secret-0123456789';
export const contractScrubErrorMessage = (message: string): string => message.replaceAll(contractSecret, '[redacted]');

/** Polls `get` until the job satisfies `done`, or fails with the last record seen. */
async function waitForJob(
  queue: JobQueue,
  id: string,
  done: (record: JobRecord) => boolean,
  timeoutMs = 10_000,
): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  let last: JobRecord | undefined;
  while (Date.now() < deadline) {
    last = await queue.get(id);
    if (last && done(last)) return last;
    await sleep(15);
  }
  throw new Error(`job ${id} did not get there within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
}

const hasStatus = (status: JobStatus) => (record: JobRecord) => record.status === status;

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 10,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(intervalMs);
  }
  throw new Error(`${what} not met within ${timeoutMs} ms`);
}

/** Behaviour every job queue backend must share. */
export function describeJobQueueContract(backendName: string, open: () => Promise<JobQueueContractFixture>): void {
  describe(`job queue contract: ${backendName}`, () => {
    let fixture: JobQueueContractFixture;

    beforeAll(async () => {
      fixture = await open();
    });

    afterAll(async () => {
      await fixture?.cleanup();
    });

    beforeEach(async () => {
      await fixture.reset();
    });

    it('runs an enqueued job once and stores its result', async () => {
      const queue = await fixture.connect(contractJobs);
      const attempts: number[] = [];
      await queue.process('test.echo', ({ payload, attempt, environment }) => {
        attempts.push(attempt);
        return { echoed: payload.value, environment };
      });
      const job = await queue.enqueue('test.echo', { value: 'hello' }, { environment: 'dev' });
      expect(job).toMatchObject({
        name: 'test.echo',
        environment: 'dev',
        payload: { value: 'hello' },
        maxAttempts: 4,
        lastError: null,
        result: null,
      });
      expect(['waiting', 'active', 'completed']).toContain(job.status);
      expect(job.createdAt).toBeInstanceOf(Date);

      const done = await waitForJob(queue, job.id, hasStatus('completed'));
      expect(done).toMatchObject({ result: { echoed: 'hello', environment: 'dev' }, attempts: 1, lastError: null });
      expect(done.finishedAt).toBeInstanceOf(Date);
      expect(attempts).toEqual([1]);
      expect(await queue.get('no-such-job')).toBeUndefined();
    });

    it('refuses unknown jobs, invalid payloads and a payload environment that differs from the job', async () => {
      const queue = await fixture.connect(contractJobs);
      const unknown = await errorOf(queue.enqueue('test.nope' as 'test.echo', { value: 'x' }, { environment: 'prod' }));
      expect(unknown).toMatchObject({ code: 'SY_ERR_VALIDATION' });
      const invalid = await errorOf(
        queue.enqueue('test.echo', { value: 42 } as unknown as { value: string }, { environment: 'prod' }),
      );
      expect(invalid).toBeInstanceOf(SwitchyardError);
      expect(invalid).toMatchObject({ code: 'SY_ERR_VALIDATION', message: expect.stringContaining('/value') });
      const badDelay = await errorOf(queue.enqueue('test.echo', { value: 'x' }, { environment: 'prod', delayMs: -1 }));
      expect(badDelay).toMatchObject({ code: 'SY_ERR_VALIDATION' });
      expect((await queue.stats()).waiting).toBe(0);
    });

    it('deduplicates by jobId: the second enqueue returns the first job and nothing runs twice', async () => {
      const queue = await fixture.connect(contractJobs);
      const first = await queue.enqueue('test.echo', { value: 'first' }, { environment: 'prod', jobId: 'dedupe-1' });
      const second = await queue.enqueue('test.echo', { value: 'second' }, { environment: 'prod', jobId: 'dedupe-1' });
      expect(first.id).toBe('dedupe-1');
      expect(second).toMatchObject({ id: 'dedupe-1', payload: { value: 'first' } });
      const runs: string[] = [];
      await queue.process('test.echo', ({ payload }) => {
        runs.push(payload.value);
        return null;
      });
      await waitForJob(queue, 'dedupe-1', hasStatus('completed'));
      // Only one job was stored: a second one would be counted, run or not.
      expect(await queue.stats()).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 1 });
      expect(runs).toEqual(['first']);
    });

    it('runs a delayed job after its delay and not before', async () => {
      if (!fixture.injectableClock) {
        // The store keeps the time: only "not before" can be checked, by when the handler started.
        const queue = await fixture.connect(contractJobs);
        let startedAt = 0;
        await queue.process('test.echo', () => {
          startedAt = Date.now();
          return null;
        });
        const enqueuedAt = Date.now();
        const job = await queue.enqueue('test.echo', { value: 'later' }, { environment: 'prod', delayMs: 400 });
        expect(job.status).toBe('delayed');
        expect(job.runAt.getTime()).toBeGreaterThanOrEqual(enqueuedAt + 390);
        await waitForJob(queue, job.id, hasStatus('completed'));
        // A few milliseconds of slack for clock granularity between the store and this process.
        expect(startedAt - enqueuedAt).toBeGreaterThanOrEqual(390);
        return;
      }
      const clock = createManualClock(Date.now());
      const queue = await fixture.connect(contractJobs, { clock });
      const ran: string[] = [];
      await queue.process('test.echo', ({ payload }) => {
        ran.push(payload.value);
        return null;
      });
      const job = await queue.enqueue('test.echo', { value: 'later' }, { environment: 'prod', delayMs: 400 });
      expect(job.status).toBe('delayed');
      expect(job.runAt.getTime()).toBe(clock.now() + 400);
      // A job due at once, enqueued after the delayed one: once it has run, the worker
      // has looked for due jobs at the clock's present time and left the delayed one alone.
      const runDueJob = async (value: string) => {
        const due = await queue.enqueue('test.echo', { value }, { environment: 'prod' });
        await waitForJob(queue, due.id, hasStatus('completed'));
      };
      await runDueJob('due at 0 ms');
      clock.advance(399);
      await runDueJob('due at 399 ms');
      expect((await queue.get(job.id))?.status).toBe('delayed');
      expect(ran).toEqual(['due at 0 ms', 'due at 399 ms']);
      clock.advance(1);
      expect((await queue.get(job.id))?.status).toBe('waiting');
      await waitForJob(queue, job.id, hasStatus('completed'));
      expect(ran).toEqual(['due at 0 ms', 'due at 399 ms', 'later']);
    });

    it('retries on the configured back-off schedule, then succeeds', async () => {
      const queue = await fixture.connect(contractJobs);
      const startedAt: number[] = [];
      await queue.process('test.flaky', ({ payload, attempt }) => {
        startedAt.push(Date.now());
        if (attempt <= payload.failTimes) throw new Error(`flaky failure ${attempt}`);
        return { attempt };
      });
      const events: JobEvent[] = [];
      await queue.subscribe('flaky-1', (event) => events.push(event));
      await queue.enqueue('test.flaky', { failTimes: 2, failure: 'plain' }, { environment: 'prod', jobId: 'flaky-1' });
      const done = await waitForJob(queue, 'flaky-1', hasStatus('completed'));
      expect(done).toMatchObject({ attempts: 3, result: { attempt: 3 } });
      expect(startedAt).toHaveLength(3);
      const [first = 0, second = 0, third = 0] = startedAt;
      expect(second - first).toBeGreaterThanOrEqual((contractBackoffMs[0] ?? 0) - 5);
      expect(third - second).toBeGreaterThanOrEqual((contractBackoffMs[1] ?? 0) - 5);
      await waitUntil(() => events.some((event) => event.type === 'completed'), 5_000, 'completed event');
      const failures = events.filter((event) => event.type === 'failed');
      expect(failures).toHaveLength(2);
      expect(failures[0]).toMatchObject({ attempt: 1, dead: false, error: { message: 'flaky failure 1' } });
      expect(failures[0]?.type === 'failed' && failures[0].retryAt).toBeInstanceOf(Date);
    });

    it('moves a job that keeps failing to the dead-letter queue with its error and attempt count', async () => {
      const queue = await fixture.connect(contractJobs);
      await queue.process('test.flaky', ({ attempt }) => {
        throw new SwitchyardError('SY_ERR_UPSTREAM_UNAVAILABLE', `upstream down (attempt ${attempt})`);
      });
      const job = await queue.enqueue('test.flaky', { failTimes: -1, failure: 'plain' }, { environment: 'dev' });
      const dead = await waitForJob(queue, job.id, hasStatus('dead'));
      expect(dead).toMatchObject({
        attempts: 4,
        maxAttempts: 4,
        lastError: { code: 'SY_ERR_UPSTREAM_UNAVAILABLE', message: 'upstream down (attempt 4)' },
        result: null,
      });
      expect(dead.finishedAt).toBeInstanceOf(Date);
      const listed = await queue.listDead();
      expect(listed.map((record) => record.id)).toEqual([job.id]);
    });

    it('dead-letters at once on a non-retryable SwitchyardError or an error marked unrecoverable', async () => {
      const queue = await fixture.connect(contractJobs);
      let runs = 0;
      await queue.process('test.flaky', ({ payload }) => {
        runs += 1;
        if (payload.failure === 'non-retryable-switchyard') {
          throw new SwitchyardError('SY_ERR_VALIDATION', 'the prompt is empty');
        }
        throw markUnrecoverable(new Error('the account was deleted'));
      });
      const validation = await queue.enqueue(
        'test.flaky',
        { failTimes: -1, failure: 'non-retryable-switchyard' },
        { environment: 'prod' },
      );
      const unrecoverable = await queue.enqueue(
        'test.flaky',
        { failTimes: -1, failure: 'unrecoverable' },
        { environment: 'prod' },
      );
      expect(await waitForJob(queue, validation.id, hasStatus('dead'))).toMatchObject({
        attempts: 1,
        lastError: { code: 'SY_ERR_VALIDATION', message: 'the prompt is empty' },
      });
      expect(await waitForJob(queue, unrecoverable.id, hasStatus('dead'))).toMatchObject({
        attempts: 1,
        lastError: { code: null, message: 'the account was deleted' },
      });
      // attempts: 1 on each record already shows no retry; the handler ran exactly once per job.
      expect(runs).toBe(2);
    });

    it('stores and publishes a failure message scrubbed of configured secrets', async () => {
      const queue = await fixture.connect(contractJobs);
      const failures: JobEvent[] = [];
      const jobId = `scrubbed-${randomUUID()}`;
      const unsubscribe = await queue.subscribe(jobId, (event) => {
        if (event.type === 'failed') failures.push(event);
      });
      await queue.process('test.flaky', () => {
        throw new SwitchyardError('SY_ERR_UPSTREAM_BAD_REQUEST', `upstream refused key ${contractSecret}`);
      });
      const job = await queue.enqueue(
        'test.flaky',
        { failTimes: -1, failure: 'non-retryable-switchyard' },
        { environment: 'prod', jobId },
      );
      const dead = await waitForJob(queue, job.id, hasStatus('dead'));
      expect(dead.lastError).toEqual({
        code: 'SY_ERR_UPSTREAM_BAD_REQUEST',
        message: 'upstream refused key [redacted]',
      });
      await waitUntil(() => failures.length > 0, 5_000, 'a failed event');
      expect(JSON.stringify(failures)).not.toContain(contractSecret);
      unsubscribe();
    });

    it('dead-letters a payload that no longer matches the schema without running the handler', async () => {
      const producer = await fixture.connect(previousContractJobs);
      const consumer = await fixture.connect(contractJobs);
      let runs = 0;
      await consumer.process('test.versioned', () => {
        runs += 1;
        return null;
      });
      const job = await producer.enqueue('test.versioned', { count: 3 }, { environment: 'prod' });
      const dead = await waitForJob(consumer, job.id, hasStatus('dead'));
      expect(dead.attempts).toBe(1);
      expect(dead.lastError?.code).toBe('SY_ERR_VALIDATION');
      expect(dead.lastError?.message).toMatch(/Invalid payload for job 'test.versioned'.*\/count/);
      expect(runs).toBe(0);
    });

    it('aborts an attempt that outlives its timeout and counts it as a failure', async () => {
      const queue = await fixture.connect(contractJobs);
      let signalled = false;
      await queue.process('test.slow', async ({ payload, signal }) => {
        signal.addEventListener('abort', () => {
          signalled = true;
        });
        // Ignores the signal on purpose: the timeout must hold anyway.
        await sleep(payload.ms);
        return null;
      });
      const job = await queue.enqueue('test.slow', { ms: 2_000 }, { environment: 'prod' });
      const dead = await waitForJob(queue, job.id, hasStatus('dead'), 5_000);
      expect(dead.lastError).toEqual({ code: jobErrorCodes.timeout, message: 'attempt timed out after 150 ms' });
      expect(signalled).toBe(true);
    });

    it('lists, replays and discards dead jobs', async () => {
      const queue = await fixture.connect(contractJobs);
      let healthy = false;
      await queue.process('test.flaky', ({ attempt }) => {
        if (!healthy) throw new SwitchyardError('SY_ERR_VALIDATION', `rejected on attempt ${attempt}`);
        return { recovered: true };
      });
      const first = await queue.enqueue('test.flaky', { failTimes: -1, failure: 'plain' }, { environment: 'prod' });
      await waitForJob(queue, first.id, hasStatus('dead'));
      await sleep(5);
      const second = await queue.enqueue('test.flaky', { failTimes: -1, failure: 'plain' }, { environment: 'dev' });
      await waitForJob(queue, second.id, hasStatus('dead'));

      const listed = await queue.listDead();
      expect(listed.map((record) => record.id)).toEqual([second.id, first.id]);
      expect(listed[0]).toMatchObject({ status: 'dead', attempts: 1, environment: 'dev' });
      expect(listed[0]?.lastError?.message).toBe('rejected on attempt 1');
      expect(listed[0]?.finishedAt?.getTime()).toBeGreaterThanOrEqual(listed[1]?.finishedAt?.getTime() ?? 0);
      expect(await queue.listDead({ limit: 1, offset: 1 })).toMatchObject([{ id: first.id }]);
      expect(await queue.listDead({ name: 'test.echo' })).toEqual([]);

      healthy = true;
      const replayed = await queue.replay(first.id);
      expect(replayed).toMatchObject({ id: first.id, attempts: 0, finishedAt: null });
      expect(['waiting', 'active', 'completed']).toContain(replayed.status);
      expect(await waitForJob(queue, first.id, hasStatus('completed'))).toMatchObject({
        attempts: 1,
        result: { recovered: true },
      });

      await queue.discard(second.id);
      expect(await queue.get(second.id)).toBeUndefined();
      expect(await queue.listDead()).toEqual([]);

      expect(await errorOf(queue.replay('no-such-job'))).toMatchObject({ code: 'SY_ERR_NOT_FOUND' });
      expect(await errorOf(queue.discard('no-such-job'))).toMatchObject({ code: 'SY_ERR_NOT_FOUND' });
      expect(await errorOf(queue.replay(first.id))).toMatchObject({ code: 'SY_ERR_CONFLICT' });
      expect(await errorOf(queue.discard(first.id))).toMatchObject({ code: 'SY_ERR_CONFLICT' });
    });

    it('narrows dead jobs and counts to the environments asked for (a dev admin sees no prod job)', async () => {
      const queue = await fixture.connect(contractJobs);
      await queue.process('test.flaky', () => {
        throw new SwitchyardError('SY_ERR_FORBIDDEN', 'no');
      });
      const prodDead = await queue.enqueue('test.flaky', { failTimes: -1, failure: 'plain' }, { environment: 'prod' });
      const devDead = await queue.enqueue('test.flaky', { failTimes: -1, failure: 'plain' }, { environment: 'dev' });
      await waitForJob(queue, prodDead.id, hasStatus('dead'));
      await waitForJob(queue, devDead.id, hasStatus('dead'));
      await queue.enqueue('test.echo', { value: 'prod' }, { environment: 'prod' });
      await queue.enqueue('test.echo', { value: 'prod' }, { environment: 'prod' });
      await queue.enqueue('test.echo', { value: 'dev' }, { environment: 'dev' });

      expect((await queue.listDead({ environments: ['dev'] })).map((job) => job.id)).toEqual([devDead.id]);
      expect((await queue.listDead({ environments: ['prod'] })).map((job) => job.id)).toEqual([prodDead.id]);
      expect(await queue.listDead({ environments: ['dev'], offset: 1 })).toEqual([]);
      expect(await queue.listDead({ environments: [] })).toEqual([]);
      expect((await queue.listDead()).map((job) => job.id).sort()).toEqual([prodDead.id, devDead.id].sort());

      const dev = await queue.stats({ environments: ['dev'] });
      expect(dev).toMatchObject({ waiting: 1, dead: 1 });
      expect(dev.byName['test.echo']).toMatchObject({ waiting: 1 });
      expect(dev.rates.deadPerMinute).toBe(1);
      expect(await queue.stats({ environments: ['prod'] })).toMatchObject({ waiting: 2, dead: 1 });
      expect(await queue.stats()).toMatchObject({ waiting: 3, dead: 2 });
    });

    it('delivers progress, completed and failed events to subscribers in other instances', async () => {
      const api = await fixture.connect(contractJobs);
      const worker = await fixture.connect(contractJobs);
      await worker.process('test.echo', async ({ payload, reportProgress }) => {
        await reportProgress({ step: 1 });
        await reportProgress({ step: 2 });
        return { value: payload.value };
      });
      await worker.process('test.flaky', () => {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'never works');
      });
      const events: JobEvent[] = [];
      const unsubscribe = await api.subscribe('events-ok', (event) => events.push(event));
      const failedEvents: JobEvent[] = [];
      await api.subscribe('events-dead', (event) => failedEvents.push(event));

      await api.enqueue('test.echo', { value: 'streamed' }, { environment: 'prod', jobId: 'events-ok' });
      await api.enqueue(
        'test.flaky',
        { failTimes: -1, failure: 'plain' },
        { environment: 'prod', jobId: 'events-dead' },
      );
      await waitUntil(() => events.some((event) => event.type === 'completed'), 5_000, 'completed event');
      expect(events).toEqual([
        { type: 'progress', jobId: 'events-ok', name: 'test.echo', data: { step: 1 } },
        { type: 'progress', jobId: 'events-ok', name: 'test.echo', data: { step: 2 } },
        { type: 'completed', jobId: 'events-ok', name: 'test.echo', attempt: 1, result: { value: 'streamed' } },
      ]);
      expect((await api.get('events-ok'))?.progress).toEqual({ step: 2 });
      await waitUntil(() => failedEvents.length > 0, 5_000, 'failed event');
      expect(failedEvents).toEqual([
        {
          type: 'failed',
          jobId: 'events-dead',
          name: 'test.flaky',
          attempt: 1,
          error: { code: 'SY_ERR_VALIDATION', message: 'never works' },
          dead: true,
          retryAt: null,
        },
      ]);

      unsubscribe();
      // Of two listeners on the next job, the one that unsubscribed gets nothing, even
      // once the other has seen the job complete.
      const later: JobEvent[] = [];
      await api.subscribe('events-ok-2', (event) => later.push(event));
      const stale: JobEvent[] = [];
      const unsubscribeStale = await api.subscribe('events-ok-2', (event) => stale.push(event));
      unsubscribeStale();
      await api.enqueue('test.echo', { value: 'again' }, { environment: 'prod', jobId: 'events-ok-2' });
      await waitUntil(() => later.some((event) => event.type === 'completed'), 5_000, 'completed event of events-ok-2');
      expect(events).toHaveLength(3);
      expect(stale).toEqual([]);
    });

    it('graceful close lets a running job finish', async () => {
      const queue = await fixture.connect(contractJobs);
      let started = false;
      await queue.process('test.echo', async ({ payload, signal }) => {
        started = true;
        await sleep(payload.waitMs ?? 0, signal);
        return { finished: true };
      });
      const job = await queue.enqueue('test.echo', { value: 'x', waitMs: 300 }, { environment: 'prod' });
      await waitUntil(() => started, 5_000, 'job start');
      await queue.close({ graceful: true, timeoutMs: 5_000 });
      const observer = await fixture.connect(contractJobs);
      expect(await observer.get(job.id)).toMatchObject({ status: 'completed', result: { finished: true } });
    });

    it('graceful close hands a job that does not finish in time back to the queue', async () => {
      const first = await fixture.connect(contractJobs);
      let started = false;
      await first.process('test.echo', async ({ payload, signal }) => {
        started = true;
        await sleep(payload.waitMs ?? 0, signal);
        return { by: 'first' };
      });
      const job = await first.enqueue('test.echo', { value: 'x', waitMs: 30_000 }, { environment: 'prod' });
      await waitUntil(() => started, 5_000, 'job start');
      const closedAt = Date.now();
      await first.close({ graceful: true, timeoutMs: 100 });
      expect(Date.now() - closedAt).toBeLessThan(3_000);

      const second = await fixture.connect(contractJobs);
      const handedBack = await second.get(job.id);
      expect(handedBack).toMatchObject({ status: 'waiting', lastError: null });
      await second.process('test.echo', () => ({ by: 'second' }));
      expect(await waitForJob(second, job.id, hasStatus('completed'))).toMatchObject({ result: { by: 'second' } });
    });

    it('counts jobs by status and name, with rates over the last minute', async () => {
      const queue = await fixture.connect(contractJobs);
      await queue.enqueue('test.echo', { value: 'a' }, { environment: 'prod' });
      await queue.enqueue('test.echo', { value: 'b' }, { environment: 'prod' });
      await queue.enqueue('test.echo', { value: 'c' }, { environment: 'prod', delayMs: 60_000 });
      let release: () => void = () => {};
      const blocked = new Promise<void>((resolve) => {
        release = resolve;
      });
      await queue.process('test.flaky', async ({ payload }) => {
        if (payload.failure === 'non-retryable-switchyard') throw new SwitchyardError('SY_ERR_FORBIDDEN', 'no');
        if (payload.failTimes === 1) await blocked;
        return null;
      });
      const completed = await queue.enqueue('test.flaky', { failTimes: 0, failure: 'plain' }, { environment: 'prod' });
      const dead = await queue.enqueue(
        'test.flaky',
        { failTimes: 0, failure: 'non-retryable-switchyard' },
        { environment: 'prod' },
      );
      const running = await queue.enqueue('test.flaky', { failTimes: 1, failure: 'plain' }, { environment: 'prod' });
      await waitForJob(queue, completed.id, hasStatus('completed'));
      await waitForJob(queue, dead.id, hasStatus('dead'));
      await waitForJob(queue, running.id, hasStatus('active'));

      const stats = await queue.stats();
      expect(stats).toMatchObject({ waiting: 2, delayed: 1, active: 1, completed: 1, dead: 1 });
      expect(stats.byName['test.echo']).toEqual({ waiting: 2, delayed: 1, active: 0, completed: 0, dead: 0 });
      expect(stats.byName['test.flaky']).toEqual({ waiting: 0, delayed: 0, active: 1, completed: 1, dead: 1 });
      expect(stats.byName['test.slow']).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0 });
      expect(stats.rates).toEqual({ completedPerMinute: 1, deadPerMinute: 1 });
      release();
      await waitForJob(queue, running.id, hasStatus('completed'));
    });

    it('records a heartbeat per worker and drops it on graceful close', async () => {
      const queue = await fixture.connect(contractJobs);
      const observer = await fixture.connect(contractJobs);
      expect(await observer.heartbeats()).toEqual([]);
      const before = Date.now();
      await queue.process('test.echo', () => null);
      await queue.process('test.slow', () => null);
      const beats = await observer.heartbeats();
      expect(beats).toHaveLength(1);
      expect(beats[0]).toMatchObject({ workerId: queue.workerId, active: 0 });
      expect(new Set(beats[0]?.names)).toEqual(new Set(['test.echo', 'test.slow']));
      expect(beats[0]?.lastSeenAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      const firstSeen = beats[0]?.lastSeenAt.getTime() ?? 0;
      await waitUntil(
        async () => ((await observer.heartbeats())[0]?.lastSeenAt.getTime() ?? 0) > firstSeen,
        5_000,
        'a newer heartbeat',
      );
      await queue.close();
      expect(await observer.heartbeats()).toEqual([]);
    });

    it('runs the job of a crashed worker again on another worker', async () => {
      // Where the queue takes an injected clock, the crashed worker's lease runs out when the test
      // moves that clock past it, not after the lease's real seconds.
      const clock = fixture.injectableClock ? createManualClock(Date.now()) : undefined;
      const connect = () => fixture.connect(contractJobs, clock ? { clock } : {});
      const crashed = await connect();
      let started = false;
      await crashed.process('test.echo', async ({ signal }) => {
        started = true;
        await sleep(60_000, signal);
        return { by: 'crashed' };
      });
      const job = await crashed.enqueue('test.echo', { value: 'x' }, { environment: 'prod' });
      await waitUntil(() => started, 5_000, 'job start');
      await crashed.close({ graceful: false });
      expect((await (await connect()).get(job.id))?.status).toBe('active');

      const survivor = await connect();
      const attempts: Array<{ id: string; attempt: number }> = [];
      await survivor.process('test.echo', ({ id, attempt }) => {
        attempts.push({ id, attempt });
        return { by: 'survivor' };
      });
      if (clock) {
        // A job due now, enqueued after the crash: once the survivor has run it, it has looked for
        // work at the clock's present time and left the crashed worker's job alone (its lease holds).
        const due = await survivor.enqueue('test.echo', { value: 'due' }, { environment: 'prod' });
        await waitForJob(survivor, due.id, hasStatus('completed'));
        expect(await survivor.get(job.id)).toMatchObject({ status: 'active', attempts: 1 });
        expect(attempts).toEqual([{ id: due.id, attempt: 1 }]);
        attempts.length = 0;
        // Past any fixture's lease.
        clock.advance(60 * 60_000);
      }
      const done = await waitForJob(survivor, job.id, hasStatus('completed'), 15_000);
      expect(done).toMatchObject({ result: { by: 'survivor' }, attempts: 2 });
      expect(attempts).toEqual([{ id: job.id, attempt: 2 }]);
    });

    it('completes 1,000 jobs while workers are killed mid-job, losing none', { timeout: 90_000 }, async () => {
      const total = 1_000;
      const producer = await fixture.connect(contractJobs);
      const ids: string[] = [];
      for (let start = 0; start < total; start += 100) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(100, total - start) }, (_, offset) => {
            const index = start + offset;
            return producer.enqueue('test.durable', { index, ms: 5 + (index % 4) * 10 }, { environment: 'prod' });
          }),
        );
        ids.push(...batch.map((job) => job.id));
      }

      /** How often each job's handler ran to the end (not when it was aborted). */
      const completions = new Map<string, number>();
      /** Per worker: jobs whose handler finished there, with when. */
      const finishedIn = new Map<JobQueue, Map<string, number>>();
      /** Who ran what, for the failure message. */
      const runs = new Map<string, string[]>();
      let interrupted = 0;
      let workerCount = 0;
      const startWorker = async () => {
        const worker = await fixture.connect(contractJobs);
        const workerNumber = ++workerCount;
        const finished = new Map<string, number>();
        finishedIn.set(worker, finished);
        await worker.process('test.durable', async ({ id, payload, signal, attempt }) => {
          runs.set(id, [...(runs.get(id) ?? []), `worker ${workerNumber} attempt ${attempt} at ${Date.now()}`]);
          try {
            await sleep(payload.ms, signal);
          } catch (error) {
            interrupted += 1;
            throw error;
          }
          completions.set(id, (completions.get(id) ?? 0) + 1);
          finished.set(id, Date.now());
          return { index: payload.index };
        });
        return worker;
      };

      const workers = [await startWorker(), await startWorker(), await startWorker()];
      /** Jobs a killed worker had finished but maybe not yet recorded: running them again is allowed. */
      const mayRepeat = new Set<string>();
      const kills = 5;
      for (let kill = 0; kill < kills; kill += 1) {
        await sleep(250);
        const slot = kill % workers.length;
        const victim = workers[slot];
        if (!victim) throw new Error('no worker in slot');
        const killedAt = Date.now();
        await victim.close({ graceful: false });
        runs.set('kills', [...(runs.get('kills') ?? []), `worker ${slot} killed at ${killedAt}`]);
        // Recording a finished job takes milliseconds, so only the last moments before the kill matter.
        // One read at a time: a burst of reads would delay the other workers' lease renewals.
        const recent = [...(finishedIn.get(victim) ?? new Map<string, number>())].filter(
          ([, finishedAt]) => finishedAt >= killedAt - 300,
        );
        for (const [id] of recent) {
          if ((await producer.get(id))?.status !== 'completed') mayRepeat.add(id);
        }
        workers[slot] = await startWorker();
      }

      await waitUntil(
        async () => (await producer.stats()).completed === total,
        60_000,
        `all ${total} jobs completed`,
        100,
      );
      const stats = await producer.stats();
      expect(stats).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: total, dead: 0 });
      expect(completions.size).toBe(total);
      for (const id of ids) expect(completions.get(id) ?? 0).toBeGreaterThanOrEqual(1);
      const repeated = [...completions].filter(([, count]) => count > 1).map(([id]) => id);
      for (const id of repeated) {
        expect(mayRepeat.has(id), `job ${id} ran twice: ${runs.get(id)?.join(', ')}; ${runs.get('kills')}`).toBe(true);
      }
      expect(interrupted, 'kills must hit running jobs').toBeGreaterThan(0);
    });
  });
}
