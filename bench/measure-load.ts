import type { ProcessMemory } from './processes';
import type { RunningTarget } from './targets';
import type { LoadResult } from './worker-protocol';
import { chatBody, runInWorker } from './workers';

export interface LoadTiming {
  durationSeconds: number;
  warmupSeconds: number;
}

export interface ThroughputResult extends LoadResult {
  connections: number;
  /** Highest RSS seen while the load ran (sampled every 250 ms). */
  rssDuringLoadBytes: number | null;
  /**
   * The gateway's user + system CPU time per response, warm-up included: unlike
   * req/s, barely affected by other processes competing for the cores.
   */
  cpuMicrosecondsPerRequest: number | null;
}

/** Concurrency 1 with every response time recorded: the base for "added latency". */
export function measureLatency(target: RunningTarget, timing: LoadTiming): Promise<LoadResult> {
  return runInWorker<LoadResult>('load-worker.ts', {
    url: target.chatUrl,
    headers: target.headers,
    body: chatBody(target.model, false),
    connections: 1,
    durationSeconds: timing.durationSeconds,
    warmupSeconds: timing.warmupSeconds,
    recordLatencies: true,
  });
}

/** Sustained non-streaming requests per second at a fixed number of connections. */
export async function measureThroughput(
  target: RunningTarget,
  connections: number,
  timing: LoadTiming,
): Promise<ThroughputResult> {
  let highest: ProcessMemory | null = null;
  const sampler = setInterval(() => {
    const now = target.memory();
    if (now && (!highest || now.rssBytes > highest.rssBytes)) highest = now;
  }, 250);
  const cpuBefore = target.cpuSeconds();
  try {
    const result = await runInWorker<LoadResult>('load-worker.ts', {
      url: target.chatUrl,
      headers: target.headers,
      body: chatBody(target.model, false),
      connections,
      durationSeconds: timing.durationSeconds,
      warmupSeconds: timing.warmupSeconds,
      recordLatencies: false,
    });
    const sampled = highest as ProcessMemory | null;
    const cpuAfter = target.cpuSeconds();
    const responses = result.ok + result.warmupOk;
    return {
      ...result,
      connections,
      rssDuringLoadBytes: sampled ? sampled.rssBytes : null,
      cpuMicrosecondsPerRequest:
        cpuBefore !== null && cpuAfter !== null && responses > 0 ? ((cpuAfter - cpuBefore) * 1e6) / responses : null,
    };
  } finally {
    clearInterval(sampler);
  }
}
