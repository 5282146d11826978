/**
 * One key, a daily image quota of Q, and many generation requests at once spread over 4 API processes:
 * exactly Q are accepted (202), every other one gets 429 with the quota's error code, and the quota
 * endpoint counts exactly Q used.
 */
import { call, createKeys, errorCode, putSetting } from '../cluster';
import { runPool, type ScenarioContext, startServerCluster, unlimited, waitForSetting } from '../harness';
import { Checks, countOutcomes, describeCounts } from '../verdict';

export async function imageQuotaScenario(context: ScenarioContext): Promise<Checks> {
  const checks = new Checks();
  const quota = context.options.quick ? 10 : 25;
  const requests = quota * (context.options.quick ? 8 : 20);
  const cluster = await startServerCluster(context, { apis: 4, workers: 0 });
  const urls = cluster.apis.map((api) => api.baseUrl);
  const first = urls[0] as string;
  await putSetting(first, cluster.adminKey, 'ai.image.max_per_day_free.prod', quota);
  await putSetting(first, cluster.adminKey, 'rate_limit.image.prod', unlimited);
  await waitForSetting(urls, cluster.adminKey, 'ai.image.max_per_day_free.prod', quota);
  await waitForSetting(urls, cluster.adminKey, 'rate_limit.image.prod', unlimited);
  const [key] = await createKeys(first, cluster.adminKey, 1, 'images');
  for (const url of urls) {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if ((await call(url, '/v1/image/quota', { key: key as string })).status === 200) break;
    }
  }
  const results = await runPool(requests, 32, (index) =>
    call(urls[index % urls.length] as string, '/v1/image/generate', {
      key: key as string,
      body: { prompt: `quota race ${index}`, width: 256, height: 256 },
    }),
  );
  const outcomes = countOutcomes(
    results.map((result) => ({ status: result.status, failure: result.failure, code: errorCode(result.text) })),
  );
  const rejectedWith429 = results.filter((result) => result.status === 429).length;
  const quotaView = await call(urls[1] as string, '/v1/image/quota', { key: key as string });
  const used = quotaView.status === 200 ? (JSON.parse(quotaView.text) as { used: number }).used : -1;
  checks.figure('processes', urls.length);
  checks.figure('quota', quota);
  checks.figure('requests', requests);
  checks.figure('accepted', outcomes.ok);
  checks.figure('rejected_429', rejectedWith429);
  checks.figure('quota_used', used);
  checks.check(outcomes.ok === quota, `${outcomes.ok} requests were accepted for a quota of ${quota}`);
  checks.check(
    rejectedWith429 === requests - outcomes.ok,
    `other refusals: ${describeCounts({ ...outcomes.clear, ...outcomes.unclear })}`,
  );
  checks.check(Object.keys(outcomes.unclear).length === 0, `unclear answers: ${describeCounts(outcomes.unclear)}`);
  checks.check(used === quota, `the quota endpoint says ${used} used`);
  return checks;
}
