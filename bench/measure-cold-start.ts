import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createBenchDatabases, defaultRedisUrl } from './postgres';
import { freePort, stopProcess, treeCpuSeconds, treeMemory, waitForHealthy } from './processes';
import { median } from './stats';
import { type SwitchyardSetup, startSwitchyard, switchyardBuild, writeSwitchyardConfig } from './switchyard';
import { startPortkeyProcess } from './targets';

export interface ColdStartCase {
  /** Spawn to first 200 from the health route, per repetition (ms). */
  samplesMs: number[];
  medianMs: number;
  /** Switchyard's own `bootMs` log field (runtime + app, after modules load), when logged. */
  bootMs: number[];
  /** RSS right after the first healthy answer. */
  rssAtReadyBytes: number | null;
  /** Spawn to the first 200 from `/ready` (Switchyard only; absent in older results). */
  readySamplesMs?: number[];
  /** User + system CPU seconds of the process tree at that first `/ready` 200 (less load-sensitive than wall time). */
  cpuSecondsAtReady?: number[];
}

export interface ColdStartResult {
  /** What was started: the prebuilt bundle (apps/server/dist) or the TypeScript source through tsx. */
  build: 'bundle' | 'source';
  /** No PGlite template cached anywhere (a first-ever start on this machine). */
  embeddedFirstEver: ColdStartCase;
  /** A new data dir, with the per-user template cache warm (the usual "new project"). */
  embeddedFreshDataDir: ColdStartCase;
  /** Restarting on an existing data dir. */
  embeddedExistingDataDir: ColdStartCase;
  /** `switchyard api` on PostgreSQL + Redis, databases already migrated. */
  serverExistingDatabases: ColdStartCase | null;
  /** `switchyard api` against two empty databases: runs every migration. */
  serverFreshDatabases: ColdStartCase | null;
  portkey: ColdStartCase;
}

function bootMsFrom(logFile: string): number[] {
  try {
    const values: number[] = [];
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      const match = /"bootMs":(\d+)/.exec(line);
      if (match?.[1]) values.push(Number(match[1]));
    }
    return values.slice(-1);
  } catch {
    return [];
  }
}

function emptyCase(): ColdStartCase {
  return { samplesMs: [], medianMs: Number.NaN, bootMs: [], rssAtReadyBytes: null };
}

function finish(coldCase: ColdStartCase): ColdStartCase {
  return { ...coldCase, medianMs: median(coldCase.samplesMs) };
}

async function timeSwitchyard(setup: SwitchyardSetup, logFile: string, into: ColdStartCase): Promise<void> {
  const started = await startSwitchyard({ ...setup, port: await freePort(), logLevel: 'info' }, { logFile });
  into.samplesMs.push(started.startupMs);
  into.rssAtReadyBytes ??= started.child.pid ? treeMemory(started.child.pid).rssBytes : null;
  // Healthy is not ready: /ready also needs the databases (and Redis) to answer.
  const healthyAt = performance.now();
  const readyAfterMs = await waitForHealthy(`${started.baseUrl}/ready`, healthyAt, {
    child: started.child,
    timeoutMs: 60_000,
  });
  into.readySamplesMs = [...(into.readySamplesMs ?? []), started.startupMs + readyAfterMs];
  if (started.child.pid) {
    into.cpuSecondsAtReady = [...(into.cpuSecondsAtReady ?? []), treeCpuSeconds(started.child.pid)];
  }
  await stopProcess(started.child, 30_000);
  into.bootMs.push(...bootMsFrom(logFile));
}

export async function measureColdStarts(options: {
  workDir: string;
  logDir: string;
  upstreamBaseURL: string;
  repetitions: number;
  serverMode: boolean;
  /** Include the slow start with no PGlite template at all (skipped by quick runs). */
  firstEver: boolean;
}): Promise<ColdStartResult> {
  const directory = join(options.workDir, 'cold-start');
  await mkdir(directory, { recursive: true });
  const configPath = await writeSwitchyardConfig(directory, options.upstreamBaseURL);
  // A private template cache: the first start finds none, later fresh data dirs find the one it wrote.
  const cacheHome = join(directory, 'xdg-cache');
  const base = { mode: 'embedded' as const, port: 0, configPath, extra: { XDG_CACHE_HOME: cacheHome } };
  const result: ColdStartResult = {
    build: switchyardBuild(),
    embeddedFirstEver: emptyCase(),
    embeddedFreshDataDir: emptyCase(),
    embeddedExistingDataDir: emptyCase(),
    serverExistingDatabases: null,
    serverFreshDatabases: null,
    portkey: emptyCase(),
  };
  const log = (name: string) => join(options.logDir, `cold-start-${name}.log`);

  if (options.firstEver) {
    await timeSwitchyard(
      { ...base, dataDir: join(directory, 'first-ever') },
      log('first-ever'),
      result.embeddedFirstEver,
    );
  }
  for (let index = 0; index < options.repetitions; index += 1) {
    const dataDir = join(directory, `fresh-${index}`);
    await timeSwitchyard({ ...base, dataDir }, log('fresh'), result.embeddedFreshDataDir);
    await timeSwitchyard({ ...base, dataDir }, log('existing'), result.embeddedExistingDataDir);
  }

  if (options.serverMode) {
    const fresh = emptyCase();
    const existing = emptyCase();
    for (let index = 0; index < options.repetitions; index += 1) {
      const databases = await createBenchDatabases();
      try {
        const setup: SwitchyardSetup = {
          mode: 'server',
          port: 0,
          configPath,
          dataDir: join(directory, `server-${index}`),
          databaseUrl: databases.prodUrl,
          devDatabaseUrl: databases.devUrl,
          redisUrl: defaultRedisUrl,
        };
        await timeSwitchyard(setup, log('server-fresh'), fresh);
        await timeSwitchyard(setup, log('server-existing'), existing);
      } finally {
        await databases.drop();
      }
    }
    result.serverFreshDatabases = finish(fresh);
    result.serverExistingDatabases = finish(existing);
  }

  for (let index = 0; index < options.repetitions; index += 1) {
    const { child, startupMs } = await startPortkeyProcess(await freePort(), log('portkey'));
    result.portkey.samplesMs.push(startupMs);
    result.portkey.rssAtReadyBytes ??= child.pid ? treeMemory(child.pid).rssBytes : null;
    await stopProcess(child, 10_000);
  }

  return {
    ...result,
    embeddedFirstEver: finish(result.embeddedFirstEver),
    embeddedFreshDataDir: finish(result.embeddedFreshDataDir),
    embeddedExistingDataDir: finish(result.embeddedExistingDataDir),
    portkey: finish(result.portkey),
  };
}
