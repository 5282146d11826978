import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The real `switchyard` binary, run through node exactly as npm's bin link would. */
export const cliPath = fileURLToPath(new URL('../../bin/switchyard.js', import.meta.url));

export interface CliOptions {
  cwd: string;
  /** The child's whole environment besides PATH, HOME and TMPDIR. */
  variables: Record<string, string>;
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The process was still running at the deadline and was killed. */
  timedOut: boolean;
}

export interface CliServer {
  child: ChildProcess;
  url: string;
  /** Every JSON log line written on stdout so far. */
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process if it still runs; for cleanup after a failed test. */
  kill(): Promise<void>;
}

function childEnvironment(variables: Record<string, string>): Record<string, string> {
  // Nothing else is inherited: a DATABASE_URL in the runner's environment would silently switch modes.
  const inherited: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) inherited[name] = value;
  }
  return { ...inherited, ...variables };
}

function spawnCli(args: string[], options: CliOptions): ChildProcess {
  return spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd,
    env: childEnvironment(options.variables),
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
}

/** Runs one CLI command to completion. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const child = spawnCli(args, options);
  if (options.input !== undefined) child.stdin?.end(options.input);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout?.setEncoding('utf8').on('data', (piece: string) => {
    stdout += piece;
  });
  child.stderr?.setEncoding('utf8').on('data', (piece: string) => {
    stderr += piece;
  });
  const deadline = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Starts `switchyard start` (or `api`) and resolves once it logs the address it listens on. */
export function startCliServer(args: string[], options: CliOptions): Promise<CliServer> {
  const child = spawnCli(args, options);
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let pending = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  child.stderr?.setEncoding('utf8').on('data', (piece: string) => {
    stderr += piece;
  });
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      void kill();
      reject(new Error(`switchyard ${args.join(' ')} did not start in time; stderr: ${stderr}`));
    }, options.timeoutMs ?? 90_000);
    child.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(deadline);
      reject(new Error(`switchyard ${args.join(' ')} exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
    child.stdout?.setEncoding('utf8').on('data', (piece: string) => {
      pending += piece;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        logs.push(entry);
        const message = entry.msg;
        if (
          typeof message === 'string' &&
          message.startsWith('Switchyard listening on') &&
          typeof entry.url === 'string'
        ) {
          clearTimeout(deadline);
          resolve({ child, url: entry.url, logs, stderr: () => stderr, exited, kill });
        }
      }
    });
  });
}

/** Polls `check` until it returns true or the time is up; returns the last answer. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 2000, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
