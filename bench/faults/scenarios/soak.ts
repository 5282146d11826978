/**
 * Embedded Switchyard under steady mixed load (chat, streamed chat, async jobs, model list, image quota
 * reads) for --soak-minutes (default 10): RSS and V8 heap sampled every 5 s, the least-squares slope after
 * the first fifth (warm-up) extrapolated to MB per hour. The goal (≤ 1 MB/h) is judged on runs of 10
 * minutes or more; shorter runs report the slope only (a few minutes of GC sawtooth swamp 1 MB/h).
 */
import { join } from 'node:path';
import { sleep, treeCpuSeconds, treeMemory } from '../../processes';
import { createAdminKey, readMetrics, type SwitchyardSetup, sumMetric } from '../../switchyard';
import { call, chatBody, errorCode, faultModels, startRole } from '../cluster';
import { liftRateLimits, type ScenarioContext, steadyLoad } from '../harness';
import { Checks, countOutcomes, describeCounts, megabytesPerHour } from '../verdict';

export async function soakScenario(context: ScenarioContext): Promise<Checks> {
  const checks = new Checks();
  const minutes = context.options.soakMinutes;
  const rate = context.options.quick ? 20 : 40;
  const dataDir = join(context.directory, 'data');
  const setup: SwitchyardSetup = { mode: 'embedded', port: 0, configPath: context.configPath, dataDir };
  const server = await startRole('start', setup, join(context.directory, 'embedded.log'));
  context.defer(() => {
    if (server.alive()) server.child.kill('SIGKILL');
  });
  const key = await createAdminKey(setup);
  await liftRateLimits(server.baseUrl, key);
  const pid = server.child.pid as number;
  const samples: { seconds: number; rss: number; heap: number }[] = [];
  const started = performance.now();
  const endAt = started + minutes * 60_000;
  let done = false;
  let failedSamples = 0;
  const sampler = (async () => {
    while (!done) {
      // A server too busy to answer /metrics is a figure of the run, not the end of the battery.
      const metrics = await readMetrics(server.baseUrl).catch(() => null);
      if (metrics === null) failedSamples += 1;
      else {
        const heap = sumMetric(metrics, 'switchyard_nodejs_heap_size_used_bytes');
        samples.push({ seconds: (performance.now() - started) / 1000, rss: treeMemory(pid).rssBytes, heap });
      }
      await sleep(5000);
    }
  })();
  const allKinds = ['chat', 'stream', 'job', 'models', 'quota'] as const;
  // FAULTS_SOAK_KINDS=chat,job narrows the mix (diagnosis: which kind costs the CPU).
  const wanted = process.env.FAULTS_SOAK_KINDS?.split(',');
  const kinds = wanted ? allKinds.filter((kind) => wanted.includes(kind)) : allKinds;
  const cpuBefore = treeCpuSeconds(pid);
  const results = await steadyLoad(
    rate,
    () => performance.now() >= endAt,
    async (index) => {
      const kind = kinds[index % kinds.length] as (typeof kinds)[number];
      const result =
        kind === 'chat'
          ? await call(server.baseUrl, '/v1/chat/completions', { key, body: chatBody(faultModels.ok, `soak ${index}`) })
          : kind === 'stream'
            ? await call(server.baseUrl, '/v1/chat/completions', {
                key,
                body: chatBody(faultModels.ok, `soak ${index}`, { stream: true }),
              })
            : kind === 'job'
              ? await call(server.baseUrl, '/v1/chat/completions', {
                  key,
                  headers: { prefer: 'respond-async' },
                  body: chatBody(faultModels.ok, `soak ${index}`),
                })
              : await call(server.baseUrl, kind === 'models' ? '/v1/models' : '/v1/image/quota', { key });
      return { status: result.status, failure: result.failure, code: errorCode(result.text) };
    },
  );
  const cpuSeconds = treeCpuSeconds(pid) - cpuBefore;
  done = true;
  await sampler;
  const outcomes = countOutcomes(results);
  const steady = samples.filter((sample) => sample.seconds >= (minutes * 60) / 5);
  const rssSlope = megabytesPerHour(steady.map((sample) => ({ seconds: sample.seconds, bytes: sample.rss })));
  const heapSlope = megabytesPerHour(steady.map((sample) => ({ seconds: sample.seconds, bytes: sample.heap })));
  const last = samples.at(-1);
  checks.figure('minutes', minutes);
  checks.figure('requests', outcomes.total);
  if (wanted) checks.figure('kinds', kinds.join('+'));
  // The server's own CPU (user + system, its process tree) per request sent during the load.
  checks.figure('cpu_ms_per_request', (cpuSeconds * 1000) / Math.max(1, outcomes.total));
  checks.figure('errors', outcomes.total - outcomes.ok);
  checks.figure('rss_mb_end', (last?.rss ?? 0) / 2 ** 20);
  checks.figure('heap_mb_end', (last?.heap ?? 0) / 2 ** 20);
  checks.figure('rss_slope_mb_per_h', rssSlope);
  checks.figure('heap_slope_mb_per_h', heapSlope);
  checks.figure('metrics_reads_failed', failedSamples);
  checks.check(
    outcomes.ok === outcomes.total,
    `errors under load: ${describeCounts({ ...outcomes.clear, ...outcomes.unclear })}`,
  );
  checks.check(server.alive(), 'the server exited during the soak');
  checks.check(failedSamples === 0, `${failedSamples} reads of /metrics failed (the server did not answer)`);
  if (minutes >= 10) {
    checks.check(heapSlope <= 1, `heap grows ${heapSlope.toFixed(1)} MB/h (goal ≤ 1)`);
    checks.check(rssSlope <= 1, `RSS grows ${rssSlope.toFixed(1)} MB/h (goal ≤ 1)`);
  } else {
    checks.note(`a ${minutes}-minute soak: the slopes are reported, not judged (the goal applies from 10 minutes)`);
  }
  return checks;
}
