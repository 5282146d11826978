/**
 * N async chat jobs (Prefer: respond-async) through two API processes, two workers, one of them SIGKILLed
 * every 2 s and started again. Every accepted job must complete (0 lost). A job whose worker died mid-call
 * runs again (at-least-once): each upstream call is counted by the job's mark, and every job that reached
 * the upstream twice must show more than one attempt (explained by a kill). Requests repeated with one
 * Idempotency-Key, at once and across processes, must all answer with the same single job.
 */
import { join } from 'node:path';
import { killTree, sleep } from '../../processes';
import { call, chatBody, faultModels, type RoleProcess, startRole, workerReady } from '../cluster';
import { runPool, type ScenarioContext, startServerCluster } from '../harness';
import { Checks } from '../verdict';

interface JobView {
  id: string;
  status: string;
  attempts: number;
}

export async function jobsSigkillScenario(context: ScenarioContext): Promise<Checks> {
  const checks = new Checks();
  const total = context.options.jobs;
  const idempotentCount = Math.max(10, Math.round(total / 50));
  const cluster = await startServerCluster(context, { apis: 2, workers: 2 });
  const urls = cluster.apis.map((api) => api.baseUrl);
  const key = cluster.adminKey;
  const async = { prefer: 'respond-async' };

  // The killer: every 2 s the oldest worker that is serving is SIGKILLed and a new one started in its place.
  // Only a serving worker is killed: on a loaded machine a new worker may need more than 2 s to start, and
  // killing it while it boots would test nothing but the boot.
  let kills = 0;
  let killing = true;
  let generation = cluster.workers.length;
  const workers: RoleProcess[] = cluster.workers;
  context.defer(() => {
    for (const worker of workers) killTree(worker.child);
  });
  const killer = (async () => {
    while (killing) {
      await sleep(2000);
      if (!killing) break;
      let index = workers.findIndex((worker) => workerReady(worker));
      while (index < 0 && killing) {
        await sleep(100);
        index = workers.findIndex((worker) => workerReady(worker));
      }
      if (!killing) break;
      const [victim] = workers.splice(index, 1);
      killTree((victim as RoleProcess).child);
      kills += 1;
      generation += 1;
      const replacement = await startRole(
        'worker',
        cluster.setup,
        join(context.directory, `worker-${generation}.log`),
        {
          wait: false,
        },
      );
      workers.push(replacement);
    }
  })();

  const enqueueStarted = performance.now();
  const refused: string[] = [];
  const ids = await runPool(total, 16, async (index) => {
    const result = await call(urls[index % urls.length] as string, '/v1/chat/completions', {
      key,
      headers: async,
      body: chatBody(faultModels.ok, `job mark:j${index}`),
    });
    if (result.status !== 202) {
      refused.push(`${result.status || result.failure}`);
      return null;
    }
    return (JSON.parse(result.text) as { id: string }).id;
  });
  // Idempotency: three identical requests at once, on both processes; a 409 (first still running) is retried.
  const idempotentIds = await runPool(idempotentCount, 8, async (index) => {
    const once = async (attempt: number): Promise<string | null> => {
      for (let round = 0; round < 50; round += 1) {
        const result = await call(urls[(index + attempt) % urls.length] as string, '/v1/chat/completions', {
          key,
          headers: { ...async, 'idempotency-key': `faults-${index}` },
          body: chatBody(faultModels.ok, `idempotent mark:i${index}`),
        });
        if (result.status === 202) return (JSON.parse(result.text) as { id: string }).id;
        if (result.status !== 409) return null;
        await sleep(50);
      }
      return null;
    };
    return Promise.all([once(0), once(1), once(2)]);
  });
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
  const accepted = ids.filter((id): id is string => id !== null);
  const acceptedIdempotent = new Set(
    idempotentIds.flatMap((triple) => triple.filter((id): id is string => id !== null)),
  );
  const idempotencyHeld = idempotentIds.every((triple) => triple[0] !== null && triple.every((id) => id === triple[0]));

  // Keep killing while there is work waiting; then let the last stalled jobs come back (lock 30 s + check).
  // Wait while jobs keep finishing: a loaded machine drains slowly but steadily. Give up only after
  // two minutes without one more finished job (a stalled job comes back within its 30 s lock), or an hour.
  const stallMs = 120_000;
  const hardDeadline = Date.now() + 3_600_000;
  let lastProgressAt = Date.now();
  let lastFinished = -1;
  const expected = accepted.length + acceptedIdempotent.size;
  let stats = { waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0 };
  for (;;) {
    const result = await call(urls[0] as string, '/v1/admin/jobs', { key });
    if (result.status === 200) stats = JSON.parse(result.text) as typeof stats;
    if (stats.completed + stats.dead !== lastFinished) {
      lastFinished = stats.completed + stats.dead;
      lastProgressAt = Date.now();
    }
    const deadline = Math.min(hardDeadline, lastProgressAt + stallMs);
    if (stats.waiting === 0 && killing) {
      killing = false;
      await killer;
      context.log(`kills stopped after ${kills}; ${stats.completed}/${expected} completed, ${stats.active} active`);
    }
    if (stats.completed + stats.dead >= expected || Date.now() > deadline) break;
    await sleep(1000);
  }
  killing = false;
  await killer;
  const processedSeconds = (performance.now() - enqueueStarted) / 1000;

  // Every accepted job, read back through the API.
  const views = await runPool(expected, 16, async (index) => {
    const id =
      index < accepted.length
        ? (accepted[index] as string)
        : ([...acceptedIdempotent][index - accepted.length] as string);
    const result = await call(urls[index % urls.length] as string, `/v1/chat/jobs/${id}`, { key });
    if (result.status !== 200) return { id, status: `http ${result.status}`, attempts: 0 } satisfies JobView;
    return JSON.parse(result.text) as JobView;
  });
  const lost = views.filter((view) => view.status !== 'completed');
  const marks = await context.upstream.marks();
  const markOf = new Map<string, string>();
  for (const [index, id] of ids.entries()) if (id) markOf.set(id, `j${index}`);
  for (const [index, triple] of idempotentIds.entries()) if (triple[0]) markOf.set(triple[0], `i${index}`);
  const attemptsOfMark = new Map<string, number>();
  for (const view of views) attemptsOfMark.set(markOf.get(view.id) ?? view.id, view.attempts);
  const repeated = Object.entries(marks.repeated);
  const unexplained = repeated.filter(([mark]) => (attemptsOfMark.get(mark) ?? 0) < 2);
  const idempotentCalls = Object.keys(marks.repeated).filter((mark) => mark.startsWith('i')).length;

  checks.figure('jobs', expected);
  checks.figure('enqueue_per_s', accepted.length / enqueueSeconds);
  checks.figure('sigkills', kills);
  checks.figure('completed', views.length - lost.length);
  checks.figure('lost', lost.length);
  checks.figure('upstream_calls', marks.total);
  checks.figure('duplicates', marks.total - marks.distinct);
  checks.figure('duplicates_unexplained', unexplained.length);
  checks.figure('idempotent_requests', idempotentCount * 3);
  checks.figure('idempotent_jobs', acceptedIdempotent.size);
  checks.figure('seconds_to_drain', processedSeconds);
  checks.check(
    refused.length === 0,
    `${refused.length} enqueue requests were refused (${refused.slice(0, 3).join(', ')})`,
  );
  checks.check(
    lost.length === 0,
    `${lost.length} accepted jobs did not complete (${lost
      .slice(0, 3)
      .map((view) => `${view.id}: ${view.status}`)
      .join(', ')})`,
  );
  checks.check(kills > 0, 'no worker was killed: the jobs finished before the first kill');
  checks.check(unexplained.length === 0, `${unexplained.length} jobs reached the upstream twice with one attempt`);
  checks.check(
    idempotencyHeld && acceptedIdempotent.size === idempotentCount,
    `idempotency keys gave ${acceptedIdempotent.size} jobs for ${idempotentCount} keys`,
  );
  checks.note(
    `at-least-once: ${marks.total - marks.distinct} upstream calls were repeats of ${repeated.length} jobs (${idempotentCalls} of them idempotent ones), each a job whose worker was SIGKILLed mid-call and whose lock ran out (BullMQ lockDuration 30 s), so another worker ran it again; no job ran twice without a kill in between.`,
  );
  return checks;
}
