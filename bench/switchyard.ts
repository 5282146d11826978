import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createUsageRepository, openDatabase } from '@switchyard/db';
import { sql } from 'drizzle-orm';
import { insertCounterStatements, insertCountQuery, type UsageCounts, usageRowsQuery } from './postgres';
import { childEnvironment, killTree, spawnNode, switchyardBin, waitForHealthy } from './processes';

const run = promisify(execFile);

let entry: string | null = null;

/**
 * What the bench runs: the prebuilt bundle as `npm ci` / `npm start` leave it, built (when a
 * source changed) once at the first start and then run directly, so files edited while the bench
 * runs cannot switch it to the TypeScript source halfway. SWITCHYARD_FROM_SOURCE=1 measures the
 * source through tsx instead.
 */
export function switchyardEntry(): string {
  if (entry) return entry;
  if (process.env.SWITCHYARD_FROM_SOURCE === '1') {
    entry = switchyardBin;
    return entry;
  }
  const serverDir = join(switchyardBin, '../..');
  execFileSync(process.execPath, [join(serverDir, 'build.mjs'), '--if-stale'], { stdio: 'inherit' });
  const bundle = join(serverDir, 'dist/cli.js');
  entry = existsSync(bundle) ? bundle : switchyardBin;
  return entry;
}

/** `bundle` or `source`, for the results. */
export const switchyardBuild = (): 'bundle' | 'source' => (switchyardEntry() === switchyardBin ? 'source' : 'bundle');

export type SwitchyardMode = 'embedded' | 'server';

/** The YAML the issue prescribes: one OpenAI-compatible provider, the fake; no Ollama probing. */
export async function writeSwitchyardConfig(
  directory: string,
  upstreamBaseURL: string,
  /** More YAML lines after these (a bench's own sections). */
  extraLines: readonly string[] = [],
): Promise<string> {
  const path = join(directory, 'switchyard.config.yaml');
  await writeFile(
    path,
    [
      'providers:',
      `  - { id: fake, type: openai-compatible, baseURL: "${upstreamBaseURL}" }`,
      'models:',
      '  - { id: bench, provider: fake, upstreamModel: gpt-4o-mini }',
      'ollama: { autodetect: false }',
      ...extraLines,
      '',
    ].join('\n'),
  );
  return path;
}

export interface SwitchyardSetup {
  mode: SwitchyardMode;
  port: number;
  configPath: string;
  dataDir: string;
  logLevel?: string;
  databaseUrl?: string;
  devDatabaseUrl?: string;
  redisUrl?: string;
  /**
   * SHUTDOWN_DRAIN_DELAY_SECONDS: how long a SIGTERMed process keeps serving with /ready at 503. Default 0:
   * the bench stops its processes at once (the fault battery's SIGTERM scenario sets its own).
   */
  drainDelaySeconds?: number;
  /** Extra variables, e.g. XDG_CACHE_HOME for a cold start with no PGlite template. */
  extra?: Record<string, string>;
}

const benchAuthSecret = randomBytes(32).toString('base64');

export function switchyardEnvironment(setup: SwitchyardSetup): Record<string, string> {
  return childEnvironment({
    PORT: String(setup.port),
    HOST: '127.0.0.1',
    SWITCHYARD_DATA_DIR: setup.dataDir,
    SWITCHYARD_CONFIG: setup.configPath,
    LOG_LEVEL: setup.logLevel ?? 'warn',
    SHUTDOWN_DRAIN_DELAY_SECONDS: String(setup.drainDelaySeconds ?? 0),
    ...(setup.mode === 'server'
      ? {
          DATABASE_URL: setup.databaseUrl ?? '',
          DEV_DATABASE_URL: setup.devDatabaseUrl ?? '',
          REDIS_URL: setup.redisUrl ?? '',
          // Server mode needs one session-signing secret shared by every API process (embedded mode makes its own).
          AUTH_SECRET: benchAuthSecret,
        }
      : {}),
    ...(process.env.SWITCHYARD_FROM_SOURCE === '1' ? { SWITCHYARD_FROM_SOURCE: '1' } : {}),
    ...setup.extra,
  });
}

export interface StartedSwitchyard {
  child: ChildProcess;
  baseUrl: string;
  /** From spawn to the first 200 from /health. */
  startupMs: number;
}

export async function startSwitchyard(
  setup: SwitchyardSetup,
  options: { logFile: string; workers?: number; nodeOptions?: string[]; timeoutMs?: number; entry?: string },
): Promise<StartedSwitchyard> {
  const args = setup.mode === 'embedded' ? ['start'] : ['api'];
  if (options.workers !== undefined && options.workers > 1) args.push('--workers', String(options.workers));
  const baseUrl = `http://127.0.0.1:${setup.port}`;
  const started = performance.now();
  const child = spawnNode(options.entry ?? switchyardEntry(), args, {
    env: switchyardEnvironment(setup),
    logFile: options.logFile,
    ...(options.nodeOptions ? { nodeOptions: options.nodeOptions } : {}),
  });
  try {
    const startupMs = await waitForHealthy(`${baseUrl}/health`, started, {
      child,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    return { child, baseUrl, startupMs };
  } catch (error) {
    killTree(child);
    throw new Error(`Switchyard (${setup.mode}) did not start: ${String(error)}; see ${options.logFile}`);
  }
}

/** `switchyard keys create` exactly as a user would run it; the key is the only thing on stdout. */
export async function createAdminKey(setup: SwitchyardSetup): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [switchyardEntry(), 'keys', 'create', '--env', 'prod', '--name', 'bench', '--admin'],
    { env: switchyardEnvironment(setup), timeout: 60_000 },
  );
  const key = stdout.trim();
  if (!key.startsWith('prod_')) throw new Error(`keys create printed no key: ${stdout}`);
  return key;
}

/** Rate limiting stays on, with a limit no run reaches. */
export async function raiseRateLimit(baseUrl: string, adminKey: string): Promise<void> {
  // Server mode: `keys create` writes to PostgreSQL and NOTIFYs; the server reloads its keys a few ms
  // later, so a request sent the instant the CLI exits can still get 401. Retry briefly.
  let response: Response;
  for (let attempt = 0; ; attempt += 1) {
    response = await fetch(`${baseUrl}/v1/admin/settings/rate_limit.chat.prod`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 10_000_000 }),
    });
    if (response.status !== 401 || attempt >= 20) break;
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!response.ok) throw new Error(`raising the rate limit failed: ${response.status} ${await response.text()}`);
  // Every bench client calls from one IP: the per-IP limit of every caller (rate_limit.ip.per_minute) too.
  const perIp = await fetch(`${baseUrl}/v1/admin/settings/rate_limit.ip.per_minute`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value: 10_000_000 }),
  });
  if (!perIp.ok) throw new Error(`raising the per-IP rate limit failed: ${perIp.status} ${await perIp.text()}`);
}

/** Sums a Prometheus counter over the series whose labels contain every given `name="value"`. */
export function sumMetric(text: string, metric: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (!Object.entries(labels).every(([name, value]) => line.includes(`${name}="${value}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export async function readMetrics(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`);
  return response.ok ? response.text() : '';
}

/** `switchyard --help` mentions `--workers` once the API role can fork (the CLI moved to src/cli/cli.ts). */
export function supportsWorkers(): boolean {
  for (const file of ['../../src/cli/cli.ts', '../../src/cli.ts']) {
    try {
      if (readFileSync(join(switchyardBin, file), 'utf8').includes('--workers')) return true;
    } catch {
      // Not at this path.
    }
  }
  return false;
}

/** Initialises the embedded prod database before the server starts and adds the INSERT counter. */
export async function prepareEmbeddedDatabase(dataDir: string): Promise<void> {
  const database = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'prod') });
  try {
    for (const statement of insertCounterStatements) await database.db.execute(sql.raw(statement));
  } finally {
    await database.close();
  }
}

/** Opens the stopped server's prod database: rows on the chat route, all rows, INSERT statements. */
export async function readEmbeddedUsage(dataDir: string): Promise<UsageCounts & { allRows: number }> {
  const database = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'prod') });
  try {
    const rows = await database.db.execute<{ rows: number }>(sql.raw(usageRowsQuery));
    const inserts = await database.db.execute<{ statements: string | number }>(sql.raw(insertCountQuery));
    const allRows = await createUsageRepository(database.db).count();
    return {
      rows: Number(rows.rows[0]?.rows ?? 0),
      insertStatements: Number(inserts.rows[0]?.statements ?? 0),
      allRows,
    };
  } finally {
    await database.close();
  }
}
