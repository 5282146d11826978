/**
 * 4 API processes share one Redis limiter. Over the limit: each key sends 2 L requests spread over the four
 * processes at once; no window may let more than L through. Under it: each key sends 0.9 L; every 429 is
 * a false one (≤ 1 % allowed).
 */
import { call, chatBody, createKeys, faultModels, putSetting } from '../cluster';
import { runPool, type ScenarioContext, startServerCluster, waitForSetting } from '../harness';
import { admittedPerWindow, Checks, percent } from '../verdict';

export async function rateLimitScenario(context: ScenarioContext): Promise<Checks> {
  const checks = new Checks();
  const limit = context.options.quick ? 50 : 200;
  const keysPerPhase = context.options.quick ? 3 : 6;
  const cluster = await startServerCluster(context, { apis: 4, workers: 0 });
  const urls = cluster.apis.map((api) => api.baseUrl);
  await putSetting(urls[0] as string, cluster.adminKey, 'rate_limit.chat.prod', limit);
  await waitForSetting(urls, cluster.adminKey, 'rate_limit.chat.prod', limit);
  const keys = await createKeys(urls[0] as string, cluster.adminKey, keysPerPhase * 2, 'rate');
  // A key created on one process is known to the others a moment later (pub/sub): wait for each.
  for (const key of keys) {
    for (const url of urls) {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        if ((await call(url, '/v1/models', { key })).status === 200) break;
      }
    }
  }
  const overKeys = keys.slice(0, keysPerPhase);
  const underKeys = keys.slice(keysPerPhase);

  const answers: { bucket: string; status: number; receivedAt: number; resetSeconds: number | null }[] = [];
  let unexpected = 0;
  const send = async (bucket: string, key: string, index: number) => {
    const result = await call(urls[index % urls.length] as string, '/v1/chat/completions', {
      key,
      body: chatBody(faultModels.ok, 'rate limit probe'),
    });
    const reset = result.headers?.get('x-ratelimit-reset');
    if (result.status !== 200 && result.status !== 429) unexpected += 1;
    answers.push({
      bucket,
      status: result.status,
      receivedAt: Date.now(),
      resetSeconds: reset === null || reset === undefined ? null : Number(reset),
    });
    return result.status;
  };

  // Over the limit: all keys at once, 2 L each.
  await Promise.all(
    overKeys.map((key, keyIndex) => runPool(limit * 2, 16, (index) => send(`over-${keyIndex}`, key, index))),
  );
  // Under it: 0.9 L each.
  const underCount = Math.floor(limit * 0.9);
  const underStatuses = (
    await Promise.all(
      underKeys.map((key, keyIndex) => runPool(underCount, 16, (index) => send(`under-${keyIndex}`, key, index))),
    )
  ).flat();

  if (!context.options.quick) {
    // A second window: the first over-limit key again once its window has ended (the server says when).
    const last = answers.filter((answer) => answer.bucket === 'over-0').at(-1);
    const waitMs = ((last?.resetSeconds ?? 60) + 1) * 1000 - (Date.now() - (last?.receivedAt ?? Date.now()));
    context.log(`waiting ${Math.round(waitMs / 1000)} s for the next window of one key`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)));
    await runPool(limit * 2, 16, (index) => send('over-0', overKeys[0] as string, index));
  }

  const windows = admittedPerWindow(answers.filter((answer) => answer.bucket.startsWith('over-')));
  const maxAdmitted = Math.max(0, ...windows.values());
  const minAdmitted = Math.min(...windows.values());
  const falseRejections = underStatuses.filter((status) => status === 429).length;
  checks.figure('processes', urls.length);
  checks.figure('limit', limit);
  checks.figure('windows', windows.size);
  checks.figure('max_200_per_window', maxAdmitted);
  checks.figure('min_200_per_window', minAdmitted);
  checks.figure('false_429_at_0.9L_pct', percent(falseRejections, underStatuses.length));
  checks.figure('other_statuses', unexpected);
  checks.check(windows.size >= overKeys.length, `only ${windows.size} windows seen for ${overKeys.length} keys`);
  checks.check(maxAdmitted <= limit, `a window let ${maxAdmitted} requests through, over the limit ${limit}`);
  checks.check(
    percent(falseRejections, underStatuses.length) <= 1,
    `${falseRejections} of ${underStatuses.length} requests under the limit got 429`,
  );
  checks.check(unexpected === 0, `${unexpected} answers were neither 200 nor 429`);
  return checks;
}
