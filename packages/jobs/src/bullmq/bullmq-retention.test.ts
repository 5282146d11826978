import { randomBytes } from 'node:crypto';
import { contractJobs, contractScrubErrorMessage, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createBullmqJobQueue } from './bullmq-job-queue';

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] BullMQ retention: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('BullMQ: completed jobs kept', () => {
  const prefix = `sy-test-${randomBytes(6).toString('hex')}`;
  const admin = hasRedis ? new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 }) : null;
  const queue = createBullmqJobQueue({
    redisUrl: testRedisUrl(),
    catalog: contractJobs,
    prefix,
    // Server mode's `jobs.retainCompletedCount`: the newest N completed jobs of a name stay readable.
    retainCompleted: { ageSeconds: 3600, count: 3 },
    heartbeatIntervalMs: 200,
    shutdownTimeoutMs: 2_000,
    onError: () => {},
    scrubErrorMessage: contractScrubErrorMessage,
  });

  afterAll(async () => {
    await queue.close({ graceful: true, timeoutMs: 500 });
    const keys = (await admin?.keys(`${prefix}:*`)) ?? [];
    if (keys.length > 0) await admin?.del(...keys);
    admin?.disconnect();
  });

  it('keeps the newest retainCompleted.count completed jobs of a name and drops older ones', async () => {
    await queue.process('test.echo', ({ payload }) => ({ echoed: payload.value }));
    const ids: string[] = [];
    // One at a time, so "newest" is well defined: each job completes before the next is enqueued.
    for (let index = 0; index < 5; index += 1) {
      const jobId = `retained-${index}`;
      let completedNow = () => {};
      const completed = new Promise<void>((resolve) => {
        completedNow = resolve;
      });
      // Subscribed before the job exists (docs/jobs.md), so its completion cannot be missed.
      const unsubscribe = await queue.subscribe(jobId, (event) => {
        if (event.type === 'completed') completedNow();
      });
      await queue.enqueue('test.echo', { value: `v${index}` }, { environment: 'prod', jobId });
      await completed;
      unsubscribe();
      ids.push(jobId);
    }
    const states = await Promise.all(ids.map(async (id) => (await queue.get(id))?.status ?? 'gone'));
    expect(states).toEqual(['gone', 'gone', 'completed', 'completed', 'completed']);
  });
});
