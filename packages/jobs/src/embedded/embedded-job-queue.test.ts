import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@switchyard/core';
import { openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import { createManualClock, eventually, type ManualClock } from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { platformJobs } from '../catalog';
import type { JobQueue, JobRecord } from '../job-queue';
import { createEmbeddedJobQueue } from './embedded-job-queue';

const chatPayload = {
  environment: 'prod' as const,
  apiKeyId: 'key-1',
  model: 'llama3.2',
  messages: [{ role: 'user' as const, content: 'Hello' }],
  params: {},
};

/** Waits until the job satisfies `done`; the bound only ends a wait for something that never comes. */
async function waitFor(queue: JobQueue, id: string, done: (record: JobRecord) => boolean): Promise<JobRecord> {
  return eventually(async () => {
    const record = await queue.get(id);
    if (!record || !done(record)) throw new Error(`job ${id} never got there: ${JSON.stringify(record)}`);
    return record;
  });
}

/** A job due at once: when it has completed, the queue has looked for due jobs at the clock's present time. */
const probePayload = { ...chatPayload, apiKeyId: 'probe' };
async function runDueJob(queue: JobQueue<typeof platformJobs>): Promise<void> {
  const probe = await queue.enqueue('chat.complete', probePayload, { environment: 'prod' });
  await waitFor(queue as unknown as JobQueue, probe.id, (record) => record.status === 'completed');
}

describe('embedded job queue with an injected clock', () => {
  let database: SwitchyardDatabase;
  const queues: JobQueue[] = [];

  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite', dataDir: null });
  });

  afterEach(async () => {
    await Promise.all(queues.map((queue) => queue.close({ timeoutMs: 100 })));
    queues.length = 0;
    await database.db.execute(sql`DELETE FROM jobs`);
    await database.db.execute(sql`DELETE FROM job_workers`);
  });

  afterAll(async () => {
    await database.close();
  });

  function open(clock: ManualClock, leaseMs = 30_000) {
    const queue = createEmbeddedJobQueue({ database, catalog: platformJobs, clock, pollIntervalMs: 20, leaseMs });
    queues.push(queue as unknown as JobQueue);
    return queue;
  }

  it('follows the real schedule: retry after 1 minute, then after 10 minutes', async () => {
    const clock = createManualClock();
    const queue = open(clock);
    const attempts: number[] = [];
    await queue.process('chat.complete', ({ attempt, payload }) => {
      if (payload.apiKeyId === 'probe') return null;
      attempts.push(attempt);
      if (attempt < 3) throw new Error(`upstream hiccup ${attempt}`);
      return { answer: 'Hi' };
    });
    const job = await queue.enqueue('chat.complete', chatPayload, { environment: 'prod' });

    const first = await waitFor(queue, job.id, (record) => record.attempts === 1 && record.status === 'delayed');
    expect(first.runAt.getTime()).toBe(clock.now() + 60_000);
    expect(first.lastError).toEqual({ code: null, message: 'upstream hiccup 1' });
    clock.advance(59_999);
    await runDueJob(queue);
    expect(attempts).toEqual([1]);
    expect((await queue.get(job.id))?.status).toBe('delayed');

    clock.advance(1);
    const second = await waitFor(queue, job.id, (record) => record.attempts === 2 && record.status === 'delayed');
    expect(second.runAt.getTime()).toBe(clock.now() + 600_000);
    clock.advance(600_000);
    expect(await waitFor(queue, job.id, (record) => record.status === 'completed')).toMatchObject({
      attempts: 3,
      result: { answer: 'Hi' },
    });
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('runs a job delayed by an hour when the clock says the hour is over', async () => {
    const clock = createManualClock();
    const queue = open(clock);
    let ran = false;
    await queue.process('chat.complete', ({ payload }) => {
      if (payload.apiKeyId !== 'probe') ran = true;
      return null;
    });
    const job = await queue.enqueue('chat.complete', chatPayload, { environment: 'prod', delayMs: 3_600_000 });
    expect(job.runAt.getTime()).toBe(clock.now() + 3_600_000);
    clock.advance(3_599_999);
    await runDueJob(queue);
    expect(ran).toBe(false);
    expect((await queue.stats()).delayed).toBe(1);
    clock.advance(1);
    await waitFor(queue, job.id, (record) => record.status === 'completed');
  });

  it('lets another instance take over a job once the lease of a crashed one ran out', async () => {
    const clock = createManualClock();
    const crashed = open(clock, 60_000);
    let started = false;
    await crashed.process('chat.complete', async ({ signal }) => {
      started = true;
      await sleep(60_000, signal);
      return null;
    });
    const job = await crashed.enqueue('chat.complete', chatPayload, { environment: 'prod' });
    await waitFor(crashed, job.id, () => started);
    await crashed.close({ graceful: false });

    const survivor = open(clock, 60_000);
    await survivor.process('chat.complete', () => ({ by: 'survivor' }));
    await runDueJob(survivor);
    expect((await survivor.get(job.id))?.status).toBe('active');
    clock.advance(60_001);
    expect(await waitFor(survivor, job.id, (record) => record.status === 'completed')).toMatchObject({
      attempts: 2,
      result: { by: 'survivor' },
    });
  });

  it('sends a job whose final attempt died with its worker to the dead-letter queue', async () => {
    const clock = createManualClock();
    const crashed = open(clock, 1_000);
    let started = false;
    await crashed.process('chat.complete', async ({ signal }) => {
      started = true;
      await sleep(60_000, signal);
      return null;
    });
    const job = await crashed.enqueue('chat.complete', chatPayload, { environment: 'prod' });
    await waitFor(crashed, job.id, () => started);
    await crashed.close({ graceful: false });
    // As if the four earlier attempts had failed already.
    await database.db.execute(sql`UPDATE jobs SET attempts = max_attempts WHERE id = ${job.id}`);

    const survivor = open(clock, 1_000);
    let ran = false;
    await survivor.process('chat.complete', () => {
      ran = true;
      return null;
    });
    clock.advance(1_001);
    const dead = await waitFor(survivor, job.id, (record) => record.status === 'dead');
    expect(dead).toMatchObject({ attempts: 5, lastError: { code: 'SY_ERR_JOB_LOST' } });
    expect(ran).toBe(false);
  });

  it('keeps pending and delayed jobs across a restart of the process', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-jobs-'));
    const clock = createManualClock();
    try {
      const firstDatabase = await openDatabase({ kind: 'pglite', dataDir });
      const before = createEmbeddedJobQueue({ database: firstDatabase, catalog: platformJobs, clock });
      const waiting = await before.enqueue('chat.complete', chatPayload, { environment: 'prod' });
      const delayed = await before.enqueue('chat.complete', chatPayload, { environment: 'prod', delayMs: 1_000 });
      await before.close();
      await firstDatabase.close();

      const secondDatabase = await openDatabase({ kind: 'pglite', dataDir });
      const after = createEmbeddedJobQueue({
        database: secondDatabase,
        catalog: platformJobs,
        clock,
        pollIntervalMs: 20,
      });
      try {
        const ran: string[] = [];
        await after.process('chat.complete', ({ id }) => {
          ran.push(id);
          return null;
        });
        await waitFor(after, waiting.id, (record) => record.status === 'completed');
        expect(ran).toEqual([waiting.id]);
        expect((await after.get(delayed.id))?.status).toBe('delayed');
        clock.advance(1_000);
        await waitFor(after, delayed.id, (record) => record.status === 'completed');
        expect(ran).toEqual([waiting.id, delayed.id]);
      } finally {
        await after.close();
        await secondDatabase.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
