// What the rolling-deploy tests share: Caddy with the stacks' Caddyfile in front of local ports, load
// through it, and rolling-deploy.mjs run as deploy.sh runs it, only with a local replace command.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const stacksDir = dirname(fileURLToPath(import.meta.url));

export const hasCommand = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** Runs a command without blocking the event loop; killed after `timeoutMs` so a hang fails the test instead of outliving it. */
export function runAsync(
  command: string,
  args: string[],
  timeoutMs: number,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: environment });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface CaddyProxy {
  url: string;
  caddy: ChildProcess;
}

/**
 * Caddy running the stacks' Caddyfile (active /ready checks, retries of refused connections) in front of
 * `ports`, with its admin endpoint on a free port so tests running at once do not collide. Resolves once a
 * request to `probePath` gets through.
 */
export async function startCaddy(directory: string, ports: number[], probePath = '/health'): Promise<CaddyProxy> {
  const [proxyPort, adminPort] = await Promise.all([freePort(), freePort()]);
  const caddyfile = readFileSync(join(stacksDir, 'Caddyfile'), 'utf8').replace(
    '{\n\tgrace_period 60s\n}',
    `{\n\tgrace_period 60s\n\tadmin 127.0.0.1:${adminPort}\n}`,
  );
  writeFileSync(join(directory, 'Caddyfile'), caddyfile);
  const caddy = spawn('caddy', ['run', '--config', join(directory, 'Caddyfile'), '--adapter', 'caddyfile'], {
    env: {
      ...process.env,
      SITE_ADDRESS: `http://127.0.0.1:${proxyPort}`,
      UPSTREAMS: ports.map((port) => `127.0.0.1:${port}`).join(' '),
      XDG_DATA_HOME: directory,
      XDG_CONFIG_HOME: directory,
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${proxyPort}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}${probePath}`).then(
      (response) => response.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) {
      caddy.kill('SIGKILL');
      throw new Error('Caddy did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, caddy };
}

export interface Load {
  ok: number;
  failed: string[];
  /** Stops the clients and resolves once each has its last answer. */
  stop(): Promise<void>;
}

/** `clients` clients sending back to back until stopped; `send` answers ok or a failure text. */
export function startLoad(clients: number, send: () => Promise<string | null>): Load {
  let stopped = false;
  const load: Load = {
    ok: 0,
    failed: [],
    stop: async () => {
      stopped = true;
      await running;
    },
  };
  const running = Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stopped) {
        let failure: string | null;
        try {
          failure = await send();
        } catch (error) {
          failure = (error as Error).message;
        }
        if (failure === null) load.ok += 1;
        else load.failed.push(failure);
      }
    }),
  );
  return load;
}

/**
 * rolling-deploy.mjs over the given ports, with `replace` (a shell command, `{port}` filled in) to replace
 * one process and each process's /ready as its health check. Not spawnSync: the test's own event loop
 * must keep running, for the load and to reap processes it started once they exit.
 */
export function runRollingDeploy(
  ports: number[],
  replace: string,
  timeoutMs: number,
  options: { environment?: NodeJS.ProcessEnv; settleSeconds?: number } = {},
): ReturnType<typeof runAsync> {
  return runAsync(
    process.execPath,
    [
      join(stacksDir, 'rolling-deploy.mjs'),
      ...ports.map((port, index) => `--instance=api-${index + 1}=${port}`),
      `--replace=${replace}`,
      '--health-url=http://127.0.0.1:{port}/ready',
      `--settle-seconds=${options.settleSeconds ?? 1}`,
    ],
    timeoutMs,
    options.environment,
  );
}

/** Whether a process with this pid exists (a zombie counts: use it for processes this test did not start). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
