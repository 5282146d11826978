/**
 * The stores the battery runs against: the machine's PostgreSQL (fresh databases per scenario), and
 * throwaway Redis and PostgreSQL servers of its own on other ports, which it may stop and restart
 * without disturbing anyone else on the machine.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createBenchDatabases, defaultAdminUrl, withClient } from '../postgres';
import { freePort, sleep, waitForExit } from '../processes';

const run = promisify(execFile);

export interface Databases {
  prodUrl: string;
  devUrl: string;
  drop(): Promise<void>;
}

/** Two fresh databases (prod, dev) on the machine's PostgreSQL, dropped afterwards. */
export async function sharedDatabases(adminUrl = defaultAdminUrl): Promise<Databases> {
  return createBenchDatabases(adminUrl);
}

export interface OwnRedis {
  url: string;
  port: number;
  /** Graceful SHUTDOWN (the append-only file is written), as `systemctl restart redis` does. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

async function waitForRedis(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 1000 });
      if (stdout.trim() === 'PONG') return;
    } catch {
      // Not up yet.
    }
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

/** A redis-server of the battery's own, with an append-only file so a restart keeps queued jobs. */
export async function startOwnRedis(directory: string): Promise<OwnRedis> {
  const port = await freePort();
  const dir = join(directory, 'redis');
  mkdirSync(dir, { recursive: true });
  let child: ChildProcess | null = null;
  const launch = async () => {
    const log = openSync(join(directory, 'redis.log'), 'a');
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--dir',
        dir,
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    await waitForRedis(port);
  };
  await launch();
  const stop = async () => {
    const current = child;
    if (!current || current.exitCode !== null) return;
    await run('redis-cli', ['-p', String(port), 'shutdown'], { timeout: 10_000 }).catch(() => {});
    await waitForExit(current, 10_000);
    child = null;
  };
  return { url: `redis://127.0.0.1:${port}`, port, stop, start: launch, close: stop };
}

export interface OwnPostgres {
  adminUrl: string;
  port: number;
  /** `pg_ctl stop -m fast`: every connection is cut, as in a restart of the service. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  databases(): Promise<Databases>;
}

async function postgresBin(name: string): Promise<string> {
  const { stdout } = await run('sh', ['-c', `ls -d /usr/lib/postgresql/*/bin/${name} 2>/dev/null | sort -V | tail -1`]);
  const path = stdout.trim();
  if (!path) throw new Error(`${name} not found under /usr/lib/postgresql/*/bin (install postgresql)`);
  return path;
}

/** PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** A throwaway PostgreSQL cluster (initdb + pg_ctl) on its own port, removed with the run's directory. */
export async function startOwnPostgres(directory: string): Promise<OwnPostgres> {
  const port = await freePort();
  const root = join(directory, 'postgres');
  const data = join(root, 'data');
  mkdirSync(root, { recursive: true });
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout.trim()), Number(group.trim()));
    // The postgres user must be able to reach its directory through the run's (mkdtemp, 0700) directories.
    chmodSync(directory, 0o755);
    chmodSync(dirname(directory), 0o755);
  }
  const initdb = await postgresBin('initdb');
  const pgCtl = await postgresBin('pg_ctl');
  const [initCommand, initArgs] = asPostgresUser(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  await run(initCommand, initArgs, { timeout: 120_000 });
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async () => {
    const [command, args] = asPostgresUser(pgCtl, [
      '-D',
      data,
      '-l',
      join(root, 'server.log'),
      '-o',
      options,
      '-w',
      'start',
    ]);
    await run(command, args, { timeout: 60_000 });
  };
  const stop = async () => {
    const [command, args] = asPostgresUser(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
    await run(command, args, { timeout: 60_000 }).catch(() => {});
  };
  await start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    port,
    start,
    stop,
    close: stop,
    databases: () => createBenchDatabases(adminUrl),
  };
}

/** Rows of one query on a database. */
export async function queryRows<T extends Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  return withClient(url, async (client) => (await client.query<T>(text)).rows);
}
