/**
 * A child process that runs autocannon, so the load generator never shares an
 * event loop with the orchestrator. It receives one LoadJob over IPC and
 * answers with one LoadResult.
 */
import autocannon, { type Instance, type Result } from 'autocannon';
import { summarize } from './stats';
import type { LoadJob, LoadResult } from './worker-protocol';

function options(job: LoadJob, durationSeconds: number) {
  return {
    url: job.url,
    method: 'POST',
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    duration: durationSeconds,
    pipelining: 1,
    timeout: 20,
  };
}

async function run(job: LoadJob): Promise<LoadResult> {
  const warmup = job.warmupSeconds > 0 ? await autocannon(options(job, job.warmupSeconds)) : null;
  const samples: number[] = [];
  const instance: Instance = autocannon(options(job, job.durationSeconds));
  if (job.recordLatencies) {
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime * 1000);
    });
  }
  const result: Result = await instance;
  const statusCodes: Record<string, number> = {};
  let responses = 0;
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = Number(stats.count);
    responses += Number(stats.count);
  }
  const ok = result['2xx'];
  return {
    warmupOk: warmup ? warmup['2xx'] : 0,
    durationSeconds: result.duration,
    responses,
    ok,
    requestsPerSecond: ok / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyMilliseconds: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
    ...(job.recordLatencies ? { latencyMicroseconds: summarize(samples) } : {}),
  };
}

process.once('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
    (error: unknown) => process.send?.({ type: 'error', error: String(error) }, () => process.exit(1)),
  );
});
