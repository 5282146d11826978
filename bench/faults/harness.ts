/** What every scenario shares: its directory, the fault upstream, a server-mode cluster on demand. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { killTree, sleep, stopProcess } from '../processes';
import { createAdminKey, type SwitchyardSetup } from '../switchyard';
import { call, type FaultUpstream, putSetting, type RoleProcess, startRole } from './cluster';
import { type Databases, type OwnRedis, sharedDatabases, startOwnRedis } from './services';
import type { FaultOptions } from './verdict';

export interface ScenarioContext {
  directory: string;
  options: FaultOptions;
  upstream: FaultUpstream;
  configPath: string;
  log(text: string): void;
  /** Run at the end of the scenario, last registered first, also when it failed. */
  defer(action: () => Promise<void> | void): void;
}

export function scenarioDirectory(root: string, name: string): string {
  const directory = join(root, name);
  mkdirSync(directory, { recursive: true });
  return directory;
}

export const unlimited = 10_000_000;

export interface ServerCluster {
  setup: SwitchyardSetup;
  redis: OwnRedis;
  databases: Databases;
  apis: RoleProcess[];
  workers: RoleProcess[];
  adminKey: string;
  /** SIGTERM to every process (workers after APIs), then what is left is killed. */
  stop(): Promise<void>;
}

/**
 * Server mode as an operator runs it: `switchyard api` × apis and `switchyard worker` × workers on two
 * fresh PostgreSQL databases and a Redis of the battery's own. The first API process migrates.
 */
export async function startServerCluster(
  context: ScenarioContext,
  shape: { apis: number; workers: number; databases?: Databases; redis?: OwnRedis; drainDelaySeconds?: number },
): Promise<ServerCluster> {
  const redis = shape.redis ?? (await startOwnRedis(context.directory));
  if (!shape.redis) context.defer(() => redis.close());
  const databases = shape.databases ?? (await sharedDatabases());
  if (!shape.databases) context.defer(() => databases.drop());
  const setup: SwitchyardSetup = {
    mode: 'server',
    port: 0,
    configPath: context.configPath,
    dataDir: join(context.directory, 'data'),
    databaseUrl: databases.prodUrl,
    devDatabaseUrl: databases.devUrl,
    redisUrl: redis.url,
    ...(shape.drainDelaySeconds === undefined ? {} : { drainDelaySeconds: shape.drainDelaySeconds }),
  };
  const apis: RoleProcess[] = [];
  const workers: RoleProcess[] = [];
  const stop = async () => {
    await Promise.all(apis.map((api) => stopProcess(api.child, 20_000)));
    await Promise.all(workers.map((worker) => stopProcess(worker.child, 20_000)));
    for (const process of [...apis, ...workers]) killTree(process.child);
  };
  context.defer(stop);
  apis.push(await startRole('api', setup, join(context.directory, 'api-0.log')));
  const rest = await Promise.all(
    Array.from({ length: shape.apis - 1 }, (_, index) =>
      startRole('api', setup, join(context.directory, `api-${index + 1}.log`)),
    ),
  );
  apis.push(...rest);
  for (let index = 0; index < shape.workers; index += 1) {
    workers.push(await startRole('worker', setup, join(context.directory, `worker-${index}.log`)));
  }
  const adminKey = await createAdminKey(setup);
  // Rate limiting stays on, with a limit the load does not reach (the rate-limit scenario sets its own).
  const urls = apis.map((api) => api.baseUrl);
  await liftRateLimits(urls[0] as string, adminKey);
  await waitForSetting(urls, adminKey, 'rate_limit.chat.prod', unlimited);
  await waitForSetting(urls, adminKey, 'rate_limit.ip.per_minute', unlimited);
  return { setup, redis, databases, apis, workers, adminKey, stop };
}

/**
 * Every client of the battery calls from 127.0.0.1: the per-key chat limit and the per-IP limit every
 * caller has had since plans (rate_limit.ip.per_minute, 20 a minute) are lifted out of the load's reach.
 */
export async function liftRateLimits(baseUrl: string, adminKey: string): Promise<void> {
  await putSetting(baseUrl, adminKey, 'rate_limit.chat.prod', unlimited);
  await putSetting(baseUrl, adminKey, 'rate_limit.ip.per_minute', unlimited);
}

/** Waits until every process reports `value` for a setting (they learn of a change through pub/sub). */
export async function waitForSetting(
  baseUrls: readonly string[],
  adminKey: string,
  setting: string,
  value: unknown,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const baseUrl of baseUrls) {
    for (;;) {
      const result = await call(baseUrl, '/v1/admin/settings', { key: adminKey });
      if (result.status === 200) {
        const list = (JSON.parse(result.text) as { settings: { key: string; value: unknown }[] }).settings;
        if (list.find((entry) => entry.key === setting)?.value === value) break;
      }
      if (Date.now() > deadline) throw new Error(`${baseUrl} did not take ${setting}=${String(value)} in time`);
      await sleep(50);
    }
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
export async function runPool<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next;
      next += 1;
      results[index] = await task(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Open-loop load: `perSecond` calls spread evenly until `until()` says stop; each call's outcome is kept
 * with the time it was sent, so phases (before, during, after a fault) are cut out afterwards.
 */
export async function steadyLoad<T>(
  perSecond: number,
  until: () => boolean,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const pending: Promise<T>[] = [];
  const interval = 1000 / perSecond;
  const started = performance.now();
  let index = 0;
  while (!until()) {
    pending.push(task(index));
    index += 1;
    const due = started + index * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
  return Promise.all(pending);
}
