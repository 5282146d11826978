/**
 * One Switchyard (embedded or server mode) in front of the fake upstream, then
 * alternating rounds of c=64 and c=1, each with the gateway's CPU per request
 * (whole process tree and main thread alone): shows the warm-up in the first
 * round apart from the steady state, which one bench run per configuration
 * cannot.
 *
 *   npx tsx bench/steady-state.ts embedded 5
 *   npx tsx bench/steady-state.ts server 5      # PostgreSQL and Redis as for the bench
 *
 * Runs the bundle (`apps/server/dist/cli.js`, built when stale) unless
 * SWITCHYARD_FROM_SOURCE=1; CPU_PROF=<dir> adds `--cpu-prof` to the gateway.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabases, defaultRedisUrl } from './postgres';
import { freePort, sleep, spawnNode, stopProcess, treeCpuSeconds, waitForHealthy } from './processes';
import {
  type SwitchyardMode,
  type SwitchyardSetup,
  switchyardEntry,
  switchyardEnvironment,
  writeSwitchyardConfig,
} from './switchyard';
import { startFakeUpstream } from './upstream';
import type { LoadJob, LoadResult } from './worker-protocol';
import { chatBody, runInWorker } from './workers';

/** User + system CPU seconds of one thread (the main thread when `tid` is the pid). */
function threadCpuSeconds(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const mode: SwitchyardMode = process.argv[2] === 'server' ? 'server' : 'embedded';
const rounds = Number(process.argv[3] ?? 5);
const directory = mkdtempSync(join(tmpdir(), 'switchyard-steady-'));
const fake = await startFakeUpstream(join(directory, 'fake.log'));
const databases = mode === 'server' ? await createBenchDatabases() : null;
const setup: SwitchyardSetup = {
  mode,
  port: await freePort(),
  configPath: await writeSwitchyardConfig(directory, fake.baseURL),
  dataDir: join(directory, 'data'),
  ...(databases ? { databaseUrl: databases.prodUrl, devDatabaseUrl: databases.devUrl, redisUrl: defaultRedisUrl } : {}),
};
const entry = switchyardEntry();
const environment = switchyardEnvironment(setup);
const profileDir = process.env.CPU_PROF;
const child = spawnNode(entry, [mode === 'embedded' ? 'start' : 'api'], {
  env: environment,
  logFile: join(directory, 'switchyard.log'),
  ...(profileDir ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
});
const baseUrl = `http://127.0.0.1:${setup.port}`;

try {
  await waitForHealthy(`${baseUrl}/health`, performance.now(), { child, timeoutMs: 60_000 });
  const pid = child.pid as number;
  const key = execFileSync(
    process.execPath,
    [entry, 'keys', 'create', '--env', 'prod', '--name', 'steady', '--admin'],
    {
      env: environment,
    },
  )
    .toString()
    .trim();
  for (let attempt = 0; attempt < 30; attempt += 1) {
    const response = await fetch(`${baseUrl}/v1/admin/settings/rate_limit.chat.prod`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 10_000_000 }),
    });
    await response.text();
    if (response.ok) {
      // Every load client calls from one IP: the per-IP limit of every caller too.
      const perIp = await fetch(`${baseUrl}/v1/admin/settings/rate_limit.ip.per_minute`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ value: 10_000_000 }),
      });
      await perIp.text();
      break;
    }
    await sleep(100);
  }
  const job = (connections: number, recordLatencies: boolean): LoadJob => ({
    url: `${baseUrl}/v1/chat/completions`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: chatBody('bench', false),
    connections,
    durationSeconds: 3,
    warmupSeconds: 1,
    recordLatencies,
  });
  /** CPU µs per response over one load run: [whole process, main thread]. */
  const measure = async (load: LoadJob): Promise<[LoadResult, number, number]> => {
    const tree = treeCpuSeconds(pid);
    const main = threadCpuSeconds(pid, pid);
    const result = await runInWorker<LoadResult>('load-worker.ts', load);
    const responses = result.ok + result.warmupOk;
    const perRequest = (seconds: number) => Math.round((seconds * 1e6) / Math.max(responses, 1));
    return [result, perRequest(treeCpuSeconds(pid) - tree), perRequest(threadCpuSeconds(pid, pid) - main)];
  };
  for (let round = 1; round <= rounds; round += 1) {
    const [busy, busyCpu, busyMain] = await measure(job(64, false));
    const [single, singleCpu, singleMain] = await measure(job(1, true));
    const latency = single.latencyMicroseconds;
    console.log(
      `${mode} round ${round}: c=64 ${Math.round(busy.requestsPerSecond)} req/s, CPU ${busyCpu} µs/request (main thread ${busyMain})` +
        ` | c=1 p50 ${Math.round(latency?.p50 ?? Number.NaN)} p99 ${Math.round(latency?.p99 ?? Number.NaN)} µs,` +
        ` CPU ${singleCpu} µs/request (main thread ${singleMain})`,
    );
  }
  const direct = await runInWorker<LoadResult>('load-worker.ts', {
    ...job(1, true),
    url: `${fake.baseURL}/chat/completions`,
  });
  console.log(
    `direct c=1 p50 ${Math.round(direct.latencyMicroseconds?.p50 ?? Number.NaN)} p99 ${Math.round(direct.latencyMicroseconds?.p99 ?? Number.NaN)} µs`,
  );
} finally {
  await stopProcess(child);
  await fake.stop();
  await databases?.drop();
  rmSync(directory, { recursive: true, force: true });
}
