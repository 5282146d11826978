import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createTestRedis, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The documented bound across real OS processes: three processes, each with its own budget enforcer and
 * Redis connection, race eight requests at a time at one shared token budget. Spend may pass the budget
 * by at most one request per process, and every process ends refused.
 */
const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] budget race across processes: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);
const redis = hasRedis ? await createTestRedis() : null;
afterAll(async () => redis?.cleanup());

const script = new URL('./budget-race-process.ts', import.meta.url).pathname;

function start(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as ChildProcessWithoutNullStreams;
  // Listened for from the start: a child prints its result and exits at once, often before the parent has
  // read every child's line, and an 'exit' listener added only then would wait for an event already gone.
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`process ended early: ${stderr}`);
    return line.value;
  };
  return { child, next, exited, stderr: () => stderr };
}

describe.skipIf(!redis)('budgets across OS processes (Redis)', () => {
  it('spend stays within the budget plus one request per process', async () => {
    const budget = 3000;
    const perRequest = 30;
    const processes = ['a', 'b', 'c'].map((id) =>
      start([redis?.url ?? '', `${redis?.prefix}:budget`, `race-${id}`, String(budget), String(perRequest), '8']),
    );
    try {
      for (const process of processes) expect(await process.next()).toBe('ready');
      for (const process of processes) process.child.stdin.write('go\n');
      const results = await Promise.all(
        processes.map(async (process) => JSON.parse(await process.next()) as { admitted: number; tokens: number }),
      );
      await Promise.all(processes.map((process) => process.exited));
      const spent = results.reduce((sum, result) => sum + result.tokens, 0);
      console.info(
        `budget race: ${spent} of ${budget} tokens spent (bound ${budget + processes.length * perRequest}); admitted per process ${results.map((result) => result.admitted).join(', ')}`,
      );
      // The budget was used up (every process ended refused), and the overshoot is within the bound.
      // How the requests split between the processes is the scheduler's business, so it is only reported.
      expect(spent).toBeGreaterThanOrEqual(budget);
      expect(spent).toBeLessThanOrEqual(budget + processes.length * perRequest);
      const stored = await redis?.client.keys(`${redis.prefix}:budget:*`);
      expect(stored?.length).toBeGreaterThan(0);
    } finally {
      for (const process of processes) if (process.child.exitCode === null) process.child.kill();
    }
  }, 60_000);
});
