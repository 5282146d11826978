/**
 * A worker as its own OS process, for tests that SIGKILL one (a crash nothing in the process can
 * clean up after). Started by `startWorkerProcess`; runs `startTestServer({ role: 'worker', ... })`
 * with the options the parent passes and tells it over IPC once its consumer groups are subscribed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundledEntry } from './bundled-entry';
import type { TestServerOptions } from './test-server';

const script = fileURLToPath(import.meta.url);
const optionsVariable = 'SWITCHYARD_TEST_WORKER';
/** Names the source file a bundled child was built from: its own main-module check. */
const entryVariable = 'SWITCHYARD_TEST_ENTRY';

export type WorkerProcessOptions = Pick<
  TestServerOptions,
  'config' | 'variables' | 'eventsPrefix' | 'eventRetryPolicy' | 'giftServices'
>;

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote on stderr (for a failed test's message). */
  stderr(): string;
  /** SIGKILL: no shutdown hook runs, unacknowledged deliveries stay with the broker. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Starts a worker process and resolves once it consumes (or rejects with its stderr when it died first). */
export async function startWorkerProcess(options: WorkerProcessOptions, timeoutMs = 120_000): Promise<WorkerProcess> {
  // This file bundled once per test process (see bundled-entry.ts), not loaded through tsx per spawn.
  const bundle = await bundledEntry(script);
  const environment: Record<string, string> = { [optionsVariable]: JSON.stringify(options), [entryVariable]: script };
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) environment[name] = value;
  }
  const child = spawn(process.execPath, [bundle], {
    env: environment,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (piece: string) => {
    stderr = (stderr + piece).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const worker: WorkerProcess = {
    child,
    exited,
    stderr: () => stderr,
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop(stopTimeoutMs = 20_000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      void worker.kill();
      reject(new Error(`the worker process did not start in time; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('message', (message: { type?: string }) => {
      if (message?.type !== 'ready') return;
      clearTimeout(deadline);
      resolve(worker);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(deadline);
      reject(new Error(`the worker process exited (${code ?? signal}) before it was ready; stderr: ${stderr}`));
    });
  });
}

async function main(raw: string): Promise<void> {
  const options = JSON.parse(raw) as WorkerProcessOptions;
  const { startTestServer } = await import('./test-server');
  const server = await startTestServer({ ...options, role: 'worker' });
  const stop = () => {
    void server.destroy().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  process.send?.({ type: 'ready' });
}

const raw = process.env[optionsVariable];
if (raw && (process.argv[1] === script || process.env[entryVariable] === script)) {
  main(raw).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
