/**
 * Embedded Switchyard under steady mixed load (chat, streamed chat, async jobs, model list, image quota
 * reads) for --soak-minutes (default 10): RSS and the V8 heap sampled every 5 s, the least-squares slope
 * after the first fifth (warm-up) extrapolated to MB per hour. The heap judged is the one left after each
 * major collection (switchyard_nodejs_heap_used_after_major_gc_bytes): heap in use sampled at random
 * moments rises and falls by tens of MB with every collection, so its slope over minutes says more about
 * when the samples fell than about a leak (a 10-minute run read +249 MB/h from it while heap snapshots
 * 4 minutes apart differed by 0.7 MB); it is reported beside it. The goal (≤ 1 MB/h) is judged on runs of
 * 10 minutes or more; shorter runs report the slopes only.
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
  // FAULTS_SOAK_HEAP_DIR=<dir>: heap snapshots (SIGUSR2) there at the end of the warm-up and at the end.
  const heapDir = process.env.FAULTS_SOAK_HEAP_DIR;
  const setup: SwitchyardSetup = {
    mode: 'embedded',
    port: 0,
    configPath: context.configPath,
    dataDir,
    ...(heapDir ? { extra: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${heapDir}` } } : {}),
  };
  const server = await startRole('start', setup, join(context.directory, 'embedded.log'));
  context.defer(() => {
    if (server.alive()) server.child.kill('SIGKILL');
  });
  const key = await createAdminKey(setup);
  await liftRateLimits(server.baseUrl, key);
  const pid = server.child.pid as number;
  const samples: { seconds: number; rss: number; heap: number; heapAfterGc: number }[] = [];
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
        const heapAfterGc = sumMetric(metrics, 'switchyard_nodejs_heap_used_after_major_gc_bytes');
        const seconds = (performance.now() - started) / 1000;
        samples.push({ seconds, rss: treeMemory(pid).rssBytes, heap, heapAfterGc });
      }
      await sleep(5000);
    }
  })();
  const allKinds = ['chat', 'stream', 'job', 'models', 'quota'] as const;
  // FAULTS_SOAK_KINDS=chat,job narrows the mix (diagnosis: which kind costs the CPU).
  const wanted = process.env.FAULTS_SOAK_KINDS?.split(',');
  const kinds = wanted ? allKinds.filter((kind) => wanted.includes(kind)) : allKinds;
  const cpuBefore = treeCpuSeconds(pid);
  const snapshotTimer = heapDir ? setTimeout(() => server.child.kill('SIGUSR2'), (minutes * 60_000) / 5) : null;
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
  if (snapshotTimer) {
    clearTimeout(snapshotTimer);
    server.child.kill('SIGUSR2');
    await sleep(20_000);
  }
  done = true;
  await sampler;
  const outcomes = countOutcomes(results);
  const steady = samples.filter((sample) => sample.seconds >= (minutes * 60) / 5);
  const rssSlope = megabytesPerHour(steady.map((sample) => ({ seconds: sample.seconds, bytes: sample.rss })));
  const sampledHeapSlope = megabytesPerHour(steady.map((sample) => ({ seconds: sample.seconds, bytes: sample.heap })));
  // One point per collection: the gauge keeps its value between them.
  const collections = steady.filter(
    (sample, index) => sample.heapAfterGc > 0 && sample.heapAfterGc !== steady[index - 1]?.heapAfterGc,
  );
  const heapSlope = megabytesPerHour(
    collections.map((sample) => ({ seconds: sample.seconds, bytes: sample.heapAfterGc })),
  );
  const last = samples.at(-1);
  checks.figure('minutes', minutes);
  checks.figure('requests', outcomes.total);
  if (wanted) checks.figure('kinds', kinds.join('+'));
  // The server's own CPU (user + system, its process tree) per request sent during the load.
  checks.figure('cpu_ms_per_request', (cpuSeconds * 1000) / Math.max(1, outcomes.total));
  checks.figure('errors', outcomes.total - outcomes.ok);
  checks.figure('rss_mb_end', (last?.rss ?? 0) / 2 ** 20);
  checks.figure('heap_mb_end', (last?.heap ?? 0) / 2 ** 20);
  checks.figure('heap_after_gc_mb_end', (last?.heapAfterGc ?? 0) / 2 ** 20);
  checks.figure('major_gcs_seen', collections.length);
  checks.figure('rss_slope_mb_per_h', rssSlope);
  checks.figure('heap_slope_mb_per_h', heapSlope);
  checks.figure('heap_sampled_slope_mb_per_h', sampledHeapSlope);
  const perMinute = samples.filter((_sample, index) => index % 12 === 0 || index === samples.length - 1);
  checks.note(
    `per minute, RSS / heap after the latest major GC (MB): ${perMinute
      .map((sample) => `${(sample.rss / 2 ** 20).toFixed(0)}/${(sample.heapAfterGc / 2 ** 20).toFixed(1)}`)
      .join(', ')}`,
  );
  checks.figure('metrics_reads_failed', failedSamples);
  checks.check(
    outcomes.ok === outcomes.total,
    `errors under load: ${describeCounts({ ...outcomes.clear, ...outcomes.unclear })}`,
  );
  checks.check(server.alive(), 'the server exited during the soak');
  checks.check(failedSamples === 0, `${failedSamples} reads of /metrics failed (the server did not answer)`);
  if (minutes >= 10) {
    checks.check(collections.length >= 3, `only ${collections.length} major collections: too few to judge the heap`);
    checks.check(heapSlope <= 1, `heap after major GCs grows ${heapSlope.toFixed(1)} MB/h (goal ≤ 1)`);
    checks.check(rssSlope <= 1, `RSS grows ${rssSlope.toFixed(1)} MB/h (goal ≤ 1)`);
  } else {
    checks.note(`a ${minutes}-minute soak: the slopes are reported, not judged (the goal applies from 10 minutes)`);
  }
  return checks;
}
