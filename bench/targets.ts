import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  type BenchDatabases,
  chatRoute,
  createBenchDatabases,
  defaultRedisUrl,
  insertCounterStatements,
  readUsageCounts,
  withClient,
} from './postgres';
import {
  benchDir,
  freePort,
  type ProcessMemory,
  sleep,
  spawnNode,
  stopProcess,
  treeCpuSeconds,
  treeMemory,
  waitForHealthy,
} from './processes';
import {
  createAdminKey,
  prepareEmbeddedDatabase,
  raiseRateLimit,
  readEmbeddedUsage,
  readMetrics,
  type SwitchyardSetup,
  startSwitchyard,
  sumMetric,
  writeSwitchyardConfig,
} from './switchyard';
import type { FakeUpstream } from './upstream';

export type TargetName =
  | 'direct'
  | 'floor'
  | 'switchyard-embedded'
  | 'switchyard-server'
  | 'switchyard-server-2-workers'
  | 'portkey';

export interface TargetDefinition {
  name: TargetName;
  label: string;
  kind: 'direct' | 'floor' | 'switchyard' | 'portkey';
  mode?: 'embedded' | 'server';
  workers?: number;
  /** Node.js options for the gateway process (Switchyard only), e.g. `--max-semi-space-size=4`. */
  nodeOptions?: string[];
  /** Extra environment for the gateway process (Switchyard only), e.g. `MALLOC_ARENA_MAX`. */
  env?: Record<string, string>;
  /** Another bundle's `cli.js` to run (Switchyard only), e.g. a copy of apps/server/dist kept next to it. */
  entry?: string;
}

export const targetDefinitions: Record<TargetName, TargetDefinition> = {
  direct: { name: 'direct', label: 'direct (no gateway)', kind: 'direct' },
  floor: { name: 'floor', label: 'floor (node:http + undici proxy, no auth, no logging)', kind: 'floor' },
  'switchyard-embedded': {
    name: 'switchyard-embedded',
    label: 'Switchyard embedded',
    kind: 'switchyard',
    mode: 'embedded',
  },
  'switchyard-server': {
    name: 'switchyard-server',
    label: 'Switchyard server (PostgreSQL + Redis, 1 worker)',
    kind: 'switchyard',
    mode: 'server',
    workers: 1,
  },
  'switchyard-server-2-workers': {
    name: 'switchyard-server-2-workers',
    label: 'Switchyard server (2 workers)',
    kind: 'switchyard',
    mode: 'server',
    workers: 2,
  },
  portkey: { name: 'portkey', label: 'Portkey gateway 1.15.2', kind: 'portkey' },
};

export interface UsageReport {
  /** Chat requests the gateway counted (its own Prometheus counter); null with several workers. */
  countedByGateway: number | null;
  /** Chat requests the fake upstream served for this target. */
  upstreamRequests: number;
  /** Usage rows on the chat route after a graceful stop. */
  rows: number;
  insertStatements: number;
  rowsPerInsert: number;
  /** Chat requests the bench's clients saw complete (load runs and streams, warm-ups included). */
  completedByClients: number;
  /** Rows missing for requests that completed: max(gateway's count, clients' count) − rows. */
  lost: number;
  /** Requests forwarded upstream that left no row at all, e.g. because the client disconnected first. */
  withoutRow: number;
  stopMs: number;
}

export interface RunningTarget {
  definition: TargetDefinition;
  chatUrl: string;
  headers: Record<string, string>;
  model: string;
  startupMs: number | null;
  memory(): ProcessMemory | null;
  /** The gateway's root process (a clustered server's primary); null for direct. */
  rootPid(): number | null;
  /** CPU seconds used so far by the gateway (direct: by the fake upstream, for reference). */
  cpuSeconds(): number | null;
  /**
   * Stops the gateway (SIGTERM) and starts it again on the same data: the
   * load runs then start from a fresh heap, not one grown by 10,000 streams.
   */
  restart(): Promise<void>;
  /** Live usage-log counts where the database can be read while the gateway runs (server mode). */
  liveUsage(): Promise<{ rows: number; insertStatements: number } | null>;
  /** `completedByClients`: chat requests the bench's clients saw finish; each must have left a row. */
  stop(completedByClients: number): Promise<UsageReport | null>;
}

export interface TargetContext {
  fake: FakeUpstream;
  workDir: string;
  logDir: string;
}

const jsonHeaders = { 'content-type': 'application/json' };

function startDirect(definition: TargetDefinition, context: TargetContext): RunningTarget {
  return {
    definition,
    chatUrl: `${context.fake.baseURL}/chat/completions`,
    headers: { ...jsonHeaders, authorization: 'Bearer sk-fake' },
    model: 'gpt-4o-mini',
    startupMs: null,
    memory: () => null,
    rootPid: () => null,
    cpuSeconds: () => (context.fake.child.pid ? treeCpuSeconds(context.fake.child.pid) : null),
    restart: async () => {},
    liveUsage: async () => null,
    stop: async () => null,
  };
}

export function portkeyEntry(): string {
  const require = createRequire(join(benchDir, 'package.json'));
  return join(require.resolve('@portkey-ai/gateway/package.json'), '..', 'build', 'start-server.js');
}

/** floor-proxy.ts in its own process, in front of the fake upstream; resolves once it listens. */
export async function startFloorProcess(
  upstreamOrigin: string,
  port: number,
  logFile: string,
): Promise<{ child: ChildProcess; startupMs: number }> {
  const started = performance.now();
  const child = spawnNode(join(benchDir, 'floor-proxy.ts'), [upstreamOrigin, String(port)], { ipc: true, logFile });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor proxy exited with code ${code}; see ${logFile}`)));
  });
  return { child, startupMs: performance.now() - started };
}

async function startFloor(definition: TargetDefinition, context: TargetContext): Promise<RunningTarget> {
  const port = await freePort();
  const logFile = join(context.logDir, 'floor.log');
  const upstreamOrigin = new URL(context.fake.baseURL).origin;
  let { child, startupMs } = await startFloorProcess(upstreamOrigin, port, logFile);
  return {
    definition,
    chatUrl: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: { ...jsonHeaders, authorization: 'Bearer sk-fake' },
    model: 'gpt-4o-mini',
    startupMs,
    memory: () => (child.pid ? treeMemory(child.pid) : null),
    rootPid: () => child.pid ?? null,
    cpuSeconds: () => (child.pid ? treeCpuSeconds(child.pid) : null),
    async restart() {
      await stopProcess(child, 10_000);
      ({ child, startupMs } = await startFloorProcess(upstreamOrigin, port, logFile));
    },
    liveUsage: async () => null,
    async stop() {
      await stopProcess(child, 10_000);
      return null;
    },
  };
}

export async function startPortkeyProcess(
  port: number,
  logFile: string,
): Promise<{ child: ChildProcess; startupMs: number }> {
  const started = performance.now();
  const child = spawnNode(portkeyEntry(), [`--port=${port}`, '--headless'], { logFile });
  // Portkey has no /health; its root route answers 200 once the server listens.
  const startupMs = await waitForHealthy(`http://127.0.0.1:${port}/`, started, { child, timeoutMs: 60_000 });
  return { child, startupMs };
}

async function startPortkey(definition: TargetDefinition, context: TargetContext): Promise<RunningTarget> {
  const port = await freePort();
  const logFile = join(context.logDir, 'portkey.log');
  let { child, startupMs } = await startPortkeyProcess(port, logFile);
  return {
    definition,
    chatUrl: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: {
      ...jsonHeaders,
      authorization: 'Bearer sk-fake',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': context.fake.baseURL,
    },
    model: 'gpt-4o-mini',
    startupMs,
    memory: () => (child.pid ? treeMemory(child.pid) : null),
    rootPid: () => child.pid ?? null,
    cpuSeconds: () => (child.pid ? treeCpuSeconds(child.pid) : null),
    async restart() {
      await stopProcess(child, 10_000);
      ({ child, startupMs } = await startPortkeyProcess(port, logFile));
    },
    liveUsage: async () => null,
    async stop() {
      await stopProcess(child, 10_000);
      return null;
    },
  };
}

async function startSwitchyardTarget(definition: TargetDefinition, context: TargetContext): Promise<RunningTarget> {
  const mode = definition.mode ?? 'embedded';
  const directory = join(context.workDir, definition.name);
  await mkdir(directory, { recursive: true });
  let databases: BenchDatabases | null = null;
  if (mode === 'server') databases = await createBenchDatabases();
  const setup: SwitchyardSetup = {
    mode,
    port: await freePort(),
    configPath: await writeSwitchyardConfig(directory, context.fake.baseURL),
    dataDir: join(directory, 'data'),
    ...(databases
      ? { databaseUrl: databases.prodUrl, devDatabaseUrl: databases.devUrl, redisUrl: defaultRedisUrl }
      : {}),
    ...(definition.env ? { extra: definition.env } : {}),
  };
  // The INSERT counter must exist before the first usage row: embedded databases get it before start.
  if (mode === 'embedded') await prepareEmbeddedDatabase(setup.dataDir);
  const logFile = join(context.logDir, `${definition.name}.log`);
  const launch = () =>
    startSwitchyard(setup, {
      logFile,
      ...(definition.workers ? { workers: definition.workers } : {}),
      ...(definition.nodeOptions ? { nodeOptions: definition.nodeOptions } : {}),
      ...(definition.entry ? { entry: definition.entry } : {}),
    });
  let started: Awaited<ReturnType<typeof startSwitchyard>>;
  try {
    started = await launch();
  } catch (error) {
    await databases?.drop();
    throw error;
  }
  const { baseUrl, startupMs } = started;
  let child = started.child;
  // The gateway's request counter restarts with each process; the total is kept here.
  let countedBefore = 0;
  const countChatRequests = async (): Promise<number | null> => {
    if ((definition.workers ?? 1) > 1) return null;
    const metrics = await readMetrics(baseUrl).catch(() => '');
    return metrics ? sumMetric(metrics, 'switchyard_http_requests_total', { route: chatRoute }) : null;
  };
  if (databases) {
    await withClient(databases.prodUrl, async (client) => {
      for (const statement of insertCounterStatements) await client.query(statement);
    });
  }
  const adminKey = await createAdminKey(setup);
  await raiseRateLimit(baseUrl, adminKey);
  // The setting travels by NOTIFY to every worker; give it a moment before the first measured request.
  await sleep(300);
  await context.fake.reset();

  return {
    definition,
    chatUrl: `${baseUrl}/v1/chat/completions`,
    headers: { ...jsonHeaders, authorization: `Bearer ${adminKey}` },
    model: 'bench',
    startupMs,
    memory: () => (child.pid ? treeMemory(child.pid) : null),
    rootPid: () => child.pid ?? null,
    cpuSeconds: () => (child.pid ? treeCpuSeconds(child.pid) : null),
    async restart() {
      countedBefore += (await countChatRequests()) ?? 0;
      await stopProcess(child, 60_000);
      child = (await launch()).child;
      await sleep(300);
    },
    async liveUsage() {
      return databases ? readUsageCounts(databases.prodUrl) : null;
    },
    async stop(completedByClients) {
      const countedNow = await countChatRequests();
      const countedByGateway = countedNow === null ? null : countedBefore + countedNow;
      const upstreamRequests = (await context.fake.stats()).served;
      // SIGTERM drains in-flight requests and flushes every queued usage row before exit.
      const stopMs = await stopProcess(child, 60_000);
      try {
        const counts = databases ? await readUsageCounts(databases.prodUrl) : await readEmbeddedUsage(setup.dataDir);
        const expected = Math.max(countedByGateway ?? 0, completedByClients);
        return {
          countedByGateway,
          completedByClients,
          upstreamRequests,
          rows: counts.rows,
          insertStatements: counts.insertStatements,
          rowsPerInsert: counts.insertStatements > 0 ? counts.rows / counts.insertStatements : 0,
          lost: Math.max(0, expected - counts.rows),
          withoutRow: Math.max(0, upstreamRequests - counts.rows),
          stopMs,
        };
      } finally {
        await databases?.drop();
      }
    },
  };
}

export async function startTarget(definition: TargetDefinition, context: TargetContext): Promise<RunningTarget> {
  await context.fake.reset();
  if (definition.kind === 'direct') return startDirect(definition, context);
  if (definition.kind === 'floor') return startFloor(definition, context);
  if (definition.kind === 'portkey') return startPortkey(definition, context);
  return startSwitchyardTarget(definition, context);
}
