import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(benchDir, '..');
export const switchyardBin = resolve(repoRoot, 'apps/server/bin/switchyard.js');

/** Runs a bench's main and exits: 0 when it resolved, 1 with the error's stack when it threw. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** Only what a child needs: an inherited DATABASE_URL or REDIS_URL would silently change what is measured. */
export function childEnvironment(variables: Record<string, string>): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) inherited[name] = value;
  }
  return { ...inherited, ...variables };
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** stdout and stderr go to this file: a pipe nobody reads would block a chatty child. */
  logFile?: string;
  ipc?: boolean;
  cwd?: string;
  nodeOptions?: string[];
}

/** Runs a Node script (TypeScript through tsx's loader when it ends in .ts). */
/** Children still running: a bench that ends, even by an uncaught error, takes them (and theirs) with it. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const running of liveChildren) killTree(running);
  });
}

export function spawnNode(script: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const output = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), ...loader, script, ...args], {
    cwd: options.cwd ?? benchDir,
    env: options.env ?? childEnvironment({}),
    stdio: ['ignore', output, output, ...(options.ipc ? (['ipc'] as const) : [])],
  });
  if (typeof output === 'number') closeSync(output);
  track(child);
  return child;
}

/** SIGKILLs a process and its descendants (a clustered server's workers would otherwise outlive it). */
export function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  for (const pid of processTree(child.pid).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function waitForExit(child: ChildProcess, timeoutMs = 30_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => killTree(child), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

/** SIGTERM, then SIGKILL after the timeout; resolves with how long the graceful stop took. */
export async function stopProcess(child: ChildProcess, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await waitForExit(child, timeoutMs);
  return performance.now() - started;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/** One GET on a fresh socket; the status, or 0 when nothing answers. */
export function probe(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolvePromise) => {
    const outgoing = httpRequest(url, { agent: false, timeout: timeoutMs }, (incoming) => {
      incoming.resume();
      incoming.on('end', () => resolvePromise(incoming.statusCode ?? 0));
      incoming.on('error', () => resolvePromise(0));
    });
    outgoing.on('timeout', () => outgoing.destroy());
    outgoing.on('error', () => resolvePromise(0));
    outgoing.end();
  });
}

/** Polls until `url` answers 200; resolves with the milliseconds since `startedAt` (performance.now()). */
export async function waitForHealthy(
  url: string,
  startedAt: number,
  options: { timeoutMs?: number; child?: ChildProcess } = {},
): Promise<number> {
  const deadline = startedAt + (options.timeoutMs ?? 60_000);
  while (performance.now() < deadline) {
    if (options.child && options.child.exitCode !== null) {
      throw new Error(`process exited with code ${options.child.exitCode} before ${url} answered`);
    }
    if ((await probe(url, 500)) === 200) return performance.now() - startedAt;
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 5));
  }
  throw new Error(`${url} did not answer 200 within ${options.timeoutMs ?? 60_000} ms`);
}

export interface ProcessMemory {
  /** Resident set size now. */
  rssBytes: number;
  /** Highest resident set size since the process started (VmHWM). */
  peakBytes: number;
}

function readStatusField(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] ? Number(match[1]) * 1024 : 0;
}

/** The pid and every descendant (a multi-worker server forks). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses; fields restart after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      const list = children.get(parent) ?? [];
      list.push(Number(entry));
      children.set(parent, list);
    } catch {
      // The process ended while we were reading.
    }
  }
  const result: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    result.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return result;
}

/** Summed over the process tree; the peak is the sum of each process's own peak, an upper bound. */
export function treeMemory(root: number): ProcessMemory {
  let rssBytes = 0;
  let peakBytes = 0;
  for (const pid of processTree(root)) {
    try {
      rssBytes += readStatusField(pid, 'VmRSS');
      peakBytes += readStatusField(pid, 'VmHWM');
    } catch {
      // Gone.
    }
  }
  return { rssBytes, peakBytes };
}

/** Open sockets (TCP, Unix, pipes excluded) of each process in the tree, from /proc/<pid>/fd. */
export function treeSockets(root: number): Array<{ pid: number; sockets: number }> {
  const counts: Array<{ pid: number; sockets: number }> = [];
  for (const pid of processTree(root)) {
    let sockets = 0;
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets += 1;
        } catch {
          // Closed while we read.
        }
      }
    } catch {
      continue;
    }
    counts.push({ pid, sockets });
  }
  return counts;
}

/** User + system CPU seconds used so far by a process and its live descendants. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone.
    }
  }
  // USER_HZ is 100 on Linux.
  return ticks / 100;
}

export const sleep = (milliseconds: number) =>
  new Promise<void>((resolvePromise) => setTimeout(resolvePromise, milliseconds));
