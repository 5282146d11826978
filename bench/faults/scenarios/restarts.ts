/**
 * A store restarted under steady mixed load (chat answers and async chat jobs through two API processes
 * and one worker): while it is down every failed answer must be a clear 503 with an SY_ERR code (no 500,
 * reset or hang); from 10 s after it is back, ≥ 99 % succeed; no process exits; every accepted job
 * completes; after a graceful stop there is one usage row for each 200 a client saw.
 *
 * Redis: the battery's own redis-server (append-only file), stopped with SHUTDOWN and started again.
 * PostgreSQL: the battery's own cluster (initdb), `pg_ctl stop -m fast` and start: the machine's shared
 * PostgreSQL is never touched.
 */
import { sleep } from '../../processes';
import { type CallResult, call, chatBody, errorCode, faultModels } from '../cluster';
import { runPool, type ScenarioContext, type ServerCluster, startServerCluster, steadyLoad } from '../harness';
import { queryRows, startOwnPostgres, startOwnRedis } from '../services';
import { Checks, countOutcomes, describeCounts, percent } from '../verdict';

interface Sample extends CallResult {
  kind: 'chat' | 'job';
  jobId: string | null;
}

async function restartUnderLoad(
  context: ScenarioContext,
  cluster: ServerCluster,
  store: { stop(): Promise<void>; start(): Promise<void> },
  label: string,
): Promise<Checks> {
  const checks = new Checks();
  const rate = context.options.quick ? 30 : 60;
  const outageMs = context.options.quick ? 5000 : 10_000;
  const urls = cluster.apis.map((api) => api.baseUrl);
  let stopAt = Number.POSITIVE_INFINITY;
  let backAt = Number.POSITIVE_INFINITY;
  let done = false;
  const load = steadyLoad<Sample>(
    rate,
    () => done,
    async (index) => {
      const job = index % 3 === 2;
      const result = await call(urls[index % urls.length] as string, '/v1/chat/completions', {
        key: cluster.adminKey,
        body: chatBody(faultModels.ok, `${label} load ${index}`),
        ...(job ? { headers: { prefer: 'respond-async' } } : {}),
        timeoutMs: 30_000,
      });
      const jobId = job && result.status === 202 ? (JSON.parse(result.text) as { id: string }).id : null;
      return { ...result, kind: job ? 'job' : 'chat', jobId };
    },
  );
  await sleep(5000);
  stopAt = Date.now();
  await store.stop();
  context.log(`${label} stopped`);
  await sleep(outageMs);
  await store.start();
  backAt = Date.now();
  context.log(`${label} back after ${((backAt - stopAt) / 1000).toFixed(1)} s`);
  await sleep(20_000);
  done = true;
  const samples = await load;

  const ok = (sample: Sample) => (sample.kind === 'job' ? sample.status === 202 : sample.status === 200);
  const outcome = (sample: Sample) => ({
    status: ok(sample) ? 200 : sample.status === 200 || sample.status === 202 ? 299 : sample.status,
    failure: sample.failure,
    code: errorCode(sample.text),
  });
  const before = samples.filter((sample) => sample.sentAt < stopAt);
  const during = samples.filter((sample) => sample.sentAt >= stopAt && sample.sentAt < backAt);
  const recovering = samples.filter((sample) => sample.sentAt >= backAt && sample.sentAt < backAt + 10_000);
  const after = samples.filter((sample) => sample.sentAt >= backAt + 10_000);
  const beforeCounts = countOutcomes(before.map(outcome), (status) => status === 200);
  const duringCounts = countOutcomes(during.map(outcome), (status) => status === 200);
  const recoveringCounts = countOutcomes(recovering.map(outcome), (status) => status === 200);
  const afterCounts = countOutcomes(after.map(outcome), (status) => status === 200);
  const not503 = Object.entries(duringCounts.clear).filter(([label]) => !label.startsWith('503'));
  const crashed = [...cluster.apis, ...cluster.workers].filter((process) => !process.alive());

  // Every accepted job completes (a job a worker held while the store was away comes back after its lock).
  const jobIds = samples.map((sample) => sample.jobId).filter((id): id is string => id !== null);
  const deadline = Date.now() + 120_000;
  let pending = jobIds;
  while (pending.length > 0 && Date.now() < deadline) {
    const states = await runPool(pending.length, 8, async (index) => {
      const result = await call(urls[0] as string, `/v1/chat/jobs/${pending[index]}`, { key: cluster.adminKey });
      return result.status === 200 && (JSON.parse(result.text) as { status: string }).status === 'completed';
    });
    pending = pending.filter((_, index) => !states[index]);
    if (pending.length > 0) await sleep(1000);
  }
  // Usage rows: a graceful stop flushes what is still buffered.
  const chatSuccesses = samples.filter((sample) => sample.kind === 'chat' && sample.status === 200).length;
  await cluster.stop();
  const [rows] = await queryRows<{ rows: number }>(
    cluster.databases.prodUrl,
    `SELECT count(*)::int AS rows FROM api_key_usage_log WHERE route = '/v1/chat/completions' AND status = 200`,
  );
  const usageRows = rows?.rows ?? -1;

  checks.figure('rate_per_s', rate);
  checks.figure('down_s', (backAt - stopAt) / 1000);
  checks.figure('ok_before_pct', percent(beforeCounts.ok, beforeCounts.total));
  checks.figure('during', during.length);
  checks.figure('during_ok', duringCounts.ok);
  checks.figure(
    'during_503',
    Object.entries(duringCounts.clear)
      .filter(([label]) => label.startsWith('503'))
      .reduce((sum, [, count]) => sum + count, 0),
  );
  checks.figure(
    'during_unclear',
    Object.values(duringCounts.unclear).reduce((sum, count) => sum + count, 0),
  );
  checks.figure('ok_first_10s_back_pct', percent(recoveringCounts.ok, recoveringCounts.total));
  checks.figure('ok_10s_after_back_pct', percent(afterCounts.ok, afterCounts.total));
  checks.figure('crashed', crashed.length);
  checks.figure('jobs', jobIds.length);
  checks.figure('jobs_lost', pending.length);
  checks.figure('usage_rows_lost', chatSuccesses - usageRows);
  checks.check(
    Object.keys(duringCounts.unclear).length === 0,
    `unclear answers while down: ${describeCounts(duringCounts.unclear)}`,
  );
  checks.check(not503.length === 0, `errors other than 503 while down: ${describeCounts(Object.fromEntries(not503))}`);
  checks.check(
    percent(afterCounts.ok, afterCounts.total) >= 99,
    `${afterCounts.ok} of ${afterCounts.total} succeeded from 10 s after the restart (${describeCounts({ ...afterCounts.clear, ...afterCounts.unclear })})`,
  );
  checks.check(
    crashed.length === 0,
    `${crashed.length} processes exited (${crashed.map((process) => process.logFile).join(', ')})`,
  );
  checks.check(pending.length === 0, `${pending.length} of ${jobIds.length} accepted jobs did not complete`);
  checks.check(usageRows === chatSuccesses, `${usageRows} usage rows for ${chatSuccesses} answers with 200`);
  checks.note(
    `${label}: while down ${describeCounts({ ...duringCounts.clear, ...duringCounts.unclear })}; first 10 s back: ${describeCounts({ ...recoveringCounts.clear, ...recoveringCounts.unclear })}`,
  );
  return checks;
}

export async function redisRestartScenario(context: ScenarioContext): Promise<Checks> {
  const redis = await startOwnRedis(context.directory);
  context.defer(() => redis.close());
  const cluster = await startServerCluster(context, { apis: 2, workers: 1, redis });
  return restartUnderLoad(context, cluster, redis, 'Redis');
}

export async function postgresRestartScenario(context: ScenarioContext): Promise<Checks> {
  const postgres = await startOwnPostgres(context.directory);
  context.defer(() => postgres.close());
  const databases = await postgres.databases();
  const cluster = await startServerCluster(context, { apis: 2, workers: 1, databases });
  return restartUnderLoad(context, cluster, postgres, 'PostgreSQL');
}
