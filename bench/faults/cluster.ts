/** Switchyard processes as an operator runs them (the built CLI), the fault upstream, and an HTTP client. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchDir, freePort, killTree, sleep, spawnNode, stopProcess, waitForHealthy } from '../processes';
import { type SwitchyardSetup, switchyardEntry, switchyardEnvironment } from '../switchyard';

export interface FaultUpstream {
  child: ChildProcess;
  baseURL: string;
  origin: string;
  marks(): Promise<{ distinct: number; total: number; repeated: Record<string, number> }>;
  stats(): Promise<{ served: Record<string, number>; openConnections: number }>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultUpstream(logFile: string): Promise<FaultUpstream> {
  const child = spawnNode(join(benchDir, 'faults/fault-upstream.ts'), ['0'], { ipc: true, logFile });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`fault upstream exited with code ${code}; see ${logFile}`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    child,
    origin,
    baseURL: `${origin}/v1`,
    marks: async () => (await fetch(`${origin}/__marks`)).json() as never,
    stats: async () => (await fetch(`${origin}/__stats`)).json() as never,
    reset: async () => {
      await fetch(`${origin}/__reset`, { method: 'POST' });
    },
    stop: async () => {
      await stopProcess(child, 5000);
    },
  };
}

/** Public model id → what the fault upstream does with it (see fault-upstream.ts). */
export const faultModels = {
  ok: 'bench',
  slow: 'slow',
  fail500: 'fail-500',
  fail429: 'fail-429',
  hang: 'hang',
  garbage: 'garbage',
  cut: 'cut',
  fail500Fallback: 'fail-500-fallback',
  fail429Fallback: 'fail-429-fallback',
} as const;

/** One provider per timeout profile; each public model picks a behaviour by its upstream model name. */
export async function writeFaultConfig(directory: string, upstreamBaseURL: string, slowMs = 300): Promise<string> {
  const path = join(directory, 'switchyard.config.yaml');
  await writeFile(
    path,
    [
      'providers:',
      `  - { id: fake, type: openai-compatible, baseURL: "${upstreamBaseURL}" }`,
      `  - { id: fake-short, type: openai-compatible, baseURL: "${upstreamBaseURL}", timeoutMs: 1500 }`,
      'models:',
      '  - { id: bench, provider: fake, upstreamModel: ok }',
      `  - { id: slow, provider: fake, upstreamModel: slow-${slowMs} }`,
      '  - { id: fail-500, provider: fake, upstreamModel: fail-500 }',
      '  - { id: fail-429, provider: fake, upstreamModel: fail-429 }',
      '  - { id: hang, provider: fake-short, upstreamModel: hang }',
      '  - { id: garbage, provider: fake, upstreamModel: garbage }',
      '  - { id: cut, provider: fake, upstreamModel: cut }',
      '  - { id: fail-500-fallback, provider: fake, upstreamModel: fail-500, fallbacks: [bench] }',
      '  - { id: fail-429-fallback, provider: fake, upstreamModel: fail-429, fallbacks: [bench] }',
      'ollama: { autodetect: false }',
      // A full-size run enqueues more than the default 10,000 completed jobs kept per job name in server mode.
      'jobs: { retainCompletedCount: 100000 }',
      '',
    ].join('\n'),
  );
  return path;
}

export type Role = 'start' | 'api' | 'worker';

export interface RoleProcess {
  role: Role;
  child: ChildProcess;
  /** For `start` and `api`. */
  baseUrl: string;
  logFile: string;
  alive(): boolean;
}

/**
 * Starts one role of the built CLI and waits until it serves: `/health` for the HTTP roles, the
 * "worker running" log line for a worker (it has no HTTP port).
 */
export async function startRole(
  role: Role,
  setup: SwitchyardSetup,
  logFile: string,
  options: { wait?: boolean } = {},
): Promise<RoleProcess> {
  const port = role === 'worker' ? 0 : setup.port || (await freePort());
  // FAULTS_LOG_LEVEL=info keeps the API processes' access log (slow and failed requests, sampled ones).
  const logLevel = role === 'worker' ? 'info' : (process.env.FAULTS_LOG_LEVEL ?? setup.logLevel);
  const environment = switchyardEnvironment({ ...setup, port, ...(logLevel ? { logLevel } : {}) });
  const started = performance.now();
  const child = spawnNode(switchyardEntry(), [role], { env: environment, logFile });
  const baseUrl = `http://127.0.0.1:${port}`;
  const handle: RoleProcess = {
    role,
    child,
    baseUrl,
    logFile,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
  if (options.wait === false) return handle;
  try {
    // Generous: on a shared 2-core machine under a load average of 20 a start took over a minute.
    if (role === 'worker') await waitForLogLine(logFile, 'worker running', child, 180_000);
    else await waitForHealthy(`${baseUrl}/health`, started, { child, timeoutMs: 180_000 });
  } catch (error) {
    killTree(child);
    throw new Error(`switchyard ${role} did not start: ${String(error)}; see ${logFile}`);
  }
  return handle;
}

/** A worker has no port: it is serving once its log says so. */
export function workerReady(worker: RoleProcess): boolean {
  try {
    return readFileSync(worker.logFile, 'utf8').includes('worker running');
  } catch {
    return false;
  }
}

async function waitForLogLine(file: string, text: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      if (readFileSync(file, 'utf8').includes(text)) return;
    } catch {
      // Not written yet.
    }
    await sleep(50);
  }
  throw new Error(`no '${text}' in ${file} within ${timeoutMs} ms`);
}

export interface CallResult {
  status: number;
  /** `refused` (nothing listening), `reset` (the connection broke), `timeout` (our deadline), or null. */
  failure: 'refused' | 'reset' | 'timeout' | null;
  text: string;
  headers: Headers | null;
  ms: number;
  sentAt: number;
}

export interface CallOptions {
  method?: string;
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

function failureOf(error: unknown): CallResult['failure'] {
  const code = String((error as { cause?: { code?: string } }).cause?.code ?? (error as { name?: string }).name ?? '');
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'TimeoutError' || code === 'AbortError') return 'timeout';
  return 'reset';
}

/** One request; never throws: the outcome is in the result. */
export async function call(baseUrl: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const sentAt = Date.now();
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      failure: null,
      text,
      headers: response.headers,
      ms: performance.now() - started,
      sentAt,
    };
  } catch (error) {
    return { status: 0, failure: failureOf(error), text: '', headers: null, ms: performance.now() - started, sentAt };
  }
}

/** The `SY_ERR_*` (or OpenAI-shaped) error code of an error body, or '' when the body has none. */
export function errorCode(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : '';
  } catch {
    return '';
  }
}

export function chatBody(model: string, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

/** A prod admin key through the CLI, then as many plain keys as asked through the admin API. */
export async function createKeys(baseUrl: string, adminKey: string, count: number, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (let index = 0; index < count; index += 1) {
    let result: CallResult | null = null;
    // Server mode: the admin key was written by the CLI; the API reloads its keys a few ms later.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      result = await call(baseUrl, '/v1/admin/keys', {
        key: adminKey,
        body: { name: `${prefix}-${index}`, environment: 'prod' },
      });
      if (result.status !== 401) break;
      await sleep(100);
    }
    if (result?.status !== 201) throw new Error(`creating a key failed: ${result?.status} ${result?.text}`);
    keys.push((JSON.parse(result.text) as { key: string }).key);
  }
  return keys;
}

/** PUT /v1/admin/settings/:key, retried while a fresh admin key is not yet known to the process. */
export async function putSetting(baseUrl: string, adminKey: string, setting: string, value: unknown): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const result = await call(baseUrl, `/v1/admin/settings/${setting}`, {
      method: 'PUT',
      key: adminKey,
      body: { value },
    });
    if (result.status >= 200 && result.status < 300) return;
    if (result.status !== 401) throw new Error(`setting ${setting} failed: ${result.status} ${result.text}`);
    await sleep(100);
  }
  throw new Error(`setting ${setting}: the admin key was never accepted`);
}
