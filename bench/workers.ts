import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { benchDir, spawnNode } from './processes';
import { exchange } from './worker-protocol';

/** Runs one job in a fresh worker process (load-worker.ts or stream-worker.ts) and returns its answer. */
export async function runInWorker<Result>(
  script: 'load-worker.ts' | 'stream-worker.ts',
  job: unknown,
): Promise<Result> {
  const child = spawnNode(join(benchDir, script), [], { ipc: true });
  try {
    return await exchange<Result>(child, job);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export function spawnWorker(script: 'load-worker.ts' | 'stream-worker.ts'): ChildProcess {
  return spawnNode(join(benchDir, script), [], { ipc: true });
}

export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
    max_tokens: 64,
    ...(stream ? { stream: true } : {}),
  });
}
