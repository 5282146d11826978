/**
 * One Switchyard (embedded or server mode) in front of the fake upstream, then
 * alternating rounds of c=64 and c=1, each with the gateway's CPU per request
 * (whole process tree and main thread alone): shows the warm-up in the first
 * round apart from the steady state, which one bench run per configuration
 * cannot.
 *
 *   npx tsx bench/steady-state.ts embedded 5
 *   npx tsx bench/steady-state.ts server 5      # PostgreSQL and Redis as for the bench
 *   npx tsx bench/steady-state.ts server-2 5    # server mode, `switchyard api --workers 2`
 *   npx tsx bench/steady-state.ts embedded 5 ab # two gateways, fast path off and on, rounds alternating
 *   BUNDLE_B=/other/checkout/apps/server/dist/cli.js npx tsx bench/steady-state.ts embedded 5
 *       # two gateways, this checkout's bundle (A) and another revision's (B), rounds alternating;
 *       # in server mode each gets its own databases (their migrations differ)
 *   B_ENV=NAME=value,NAME=value npx tsx bench/steady-state.ts embedded 5
 *       # the same A/B with extra variables for B (with or without BUNDLE_B)
 *   STEADY_C64_ONLY=1 … # only the c=64 runs, no c=1 runs
 *   STEADY_PARALLEL=1 … # A/B: both gateways' c=64 runs at the same time (same other load for both)
 *
 * Runs the bundle (`apps/server/dist/cli.js`, built when stale) unless
 * SWITCHYARD_FROM_SOURCE=1; CPU_PROF=<dir> adds `--cpu-prof` to the gateway (with workers, each
 * worker inherits it with the primary's execArgv: one .cpuprofile per process).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchDatabases, createBenchDatabases, defaultRedisUrl } from './postgres';
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

const mode: SwitchyardMode = process.argv[2]?.startsWith('server') ? 'server' : 'embedded';
/**
 * `server-2`: the server mode's `--workers 2` (a primary and two worker processes): the CPU is the whole
 * tree's; "main thread" is then the primary's alone, which serves no request.
 */
const workers = process.argv[2] === 'server-2' ? 2 : 1;
const rounds = Number(process.argv[3] ?? 5);
/** `ab`: two gateways in the same minutes, SWITCHYARD_FAST_PATH=0 and =1, their rounds alternating. */
const abFastPath = process.argv[4] === 'ab';
/** Set once the gateways are being stopped: their exits are expected then. */
let stopping = false;
const directory = mkdtempSync(join(tmpdir(), 'switchyard-steady-'));
const fake = await startFakeUpstream(join(directory, 'fake.log'));
const entry = switchyardEntry();
/** Another revision's bundle, run as a second gateway whose rounds alternate with this checkout's. */
const entryB = process.env.BUNDLE_B;
/** Variables for the second gateway only (`NAME=value,NAME=value`): the same bundle otherwise. */
const environmentB: Record<string, string> = Object.fromEntries(
  (process.env.B_ENV ?? '')
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const profileDir = process.env.CPU_PROF;
const allDatabases: BenchDatabases[] = [];

interface Gateway {
  label: string;
  child: ReturnType<typeof spawnNode>;
  baseUrl: string;
  key: string;
}

async function startGateway(
  label: string,
  extra: Record<string, string>,
  script: string = entry,
  databases: BenchDatabases | null = null,
  redisUrl: string = defaultRedisUrl,
): Promise<Gateway> {
  mkdirSync(join(directory, label), { recursive: true });
  const setup: SwitchyardSetup = {
    mode,
    port: await freePort(),
    configPath: await writeSwitchyardConfig(join(directory, label), fake.baseURL),
    dataDir: join(directory, label, 'data'),
    ...(databases ? { databaseUrl: databases.prodUrl, devDatabaseUrl: databases.devUrl, redisUrl } : {}),
    extra,
  };
  const environment = switchyardEnvironment(setup);
  const args = mode === 'embedded' ? ['start'] : ['api'];
  if (workers > 1) args.push('--workers', String(workers));
  const child = spawnNode(script, args, {
    env: environment,
    logFile: join(directory, `${label}.log`),
    ...(profileDir ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
  });
  // A gateway that goes away mid-run says how, before a round fails on its missing /proc entry.
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`gateway ${label} exited: code ${code}, signal ${signal}`);
  });
  const baseUrl = `http://127.0.0.1:${setup.port}`;
  await waitForHealthy(`${baseUrl}/health`, performance.now(), { child, timeoutMs: 60_000 });
  const key = execFileSync(
    process.execPath,
    [script, 'keys', 'create', '--env', 'prod', '--name', `steady-${label}`, '--admin'],
    { env: environment },
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
  return { label, child, baseUrl, key };
}

const newDatabases = async (): Promise<BenchDatabases | null> => {
  if (mode !== 'server') return null;
  const databases = await createBenchDatabases();
  allDatabases.push(databases);
  return databases;
};

const gateways: Gateway[] = [];
try {
  if (abFastPath) {
    // In server mode both share PostgreSQL and Redis, as two API processes of one deployment do.
    const shared = await newDatabases();
    gateways.push(await startGateway('fast-path-off', { SWITCHYARD_FAST_PATH: '0' }, entry, shared));
    gateways.push(await startGateway('fast-path-on', { SWITCHYARD_FAST_PATH: '1' }, entry, shared));
  } else if (entryB || process.env.B_ENV) {
    gateways.push(await startGateway('A', {}, entry, await newDatabases()));
    // Its own Redis database too: the two revisions' key names need not agree.
    gateways.push(
      await startGateway('B', environmentB, entryB ?? entry, await newDatabases(), `${defaultRedisUrl}/13`),
    );
  } else {
    gateways.push(await startGateway('gateway', {}, entry, await newDatabases()));
  }
  const job = (gateway: Gateway, connections: number, recordLatencies: boolean): LoadJob => ({
    url: `${gateway.baseUrl}/v1/chat/completions`,
    headers: { authorization: `Bearer ${gateway.key}`, 'content-type': 'application/json' },
    body: chatBody('bench', false),
    connections,
    durationSeconds: 3,
    warmupSeconds: 1,
    recordLatencies,
  });
  /** CPU µs per response over one load run: [whole process, main thread]. */
  const measure = async (gateway: Gateway, load: LoadJob): Promise<[LoadResult, number, number]> => {
    const pid = gateway.child.pid as number;
    const tree = treeCpuSeconds(pid);
    const main = threadCpuSeconds(pid, pid);
    const result = await runInWorker<LoadResult>('load-worker.ts', load);
    const responses = result.ok + result.warmupOk;
    const perRequest = (seconds: number) => Math.round((seconds * 1e6) / Math.max(responses, 1));
    return [result, perRequest(treeCpuSeconds(pid) - tree), perRequest(threadCpuSeconds(pid, pid) - main)];
  };
  /** STEADY_C64_ONLY=1: only the c=64 runs (twice the rounds in the same time, for A/B of CPU per request). */
  const onlyBusy = process.env.STEADY_C64_ONLY === '1';
  const emptyResult = { non2xx: 0, errors: 0, timeouts: 0, latencyMicroseconds: undefined } as unknown as LoadResult;
  /**
   * STEADY_PARALLEL=1 (two gateways): both c=64 runs at the same time, each from its own load worker, so
   * both see the same other load on the machine; on a loaded machine their ratio varies much less than
   * that of runs taken one after the other. Implies STEADY_C64_ONLY.
   */
  const parallel = process.env.STEADY_PARALLEL === '1' && gateways.length === 2;
  for (let round = 1; parallel && round <= rounds; round += 1) {
    const measured = await Promise.all(gateways.map((gateway) => measure(gateway, job(gateway, 64, false))));
    for (const [index, gateway] of gateways.entries()) {
      const [busy, busyCpu, busyMain] = measured[index] as [LoadResult, number, number];
      console.log(
        `${process.argv[2] ?? mode} ${gateway.label} round ${round}: c=64 ${Math.round(busy.requestsPerSecond)} req/s, CPU ${busyCpu} µs/request (main thread ${busyMain})` +
          ` | both gateways loaded at once | failed ${busy.non2xx + busy.errors + busy.timeouts}`,
      );
    }
  }
  for (let round = 1; !parallel && round <= rounds; round += 1) {
    // Alternate which gateway goes first, so neither always runs right after the other's load.
    const order = round % 2 === 1 ? gateways : [...gateways].reverse();
    for (const gateway of order) {
      const [busy, busyCpu, busyMain] = await measure(gateway, job(gateway, 64, false));
      const [single, singleCpu, singleMain] = onlyBusy
        ? [emptyResult, Number.NaN, Number.NaN]
        : await measure(gateway, job(gateway, 1, true));
      const latency = single.latencyMicroseconds;
      const failed = busy.non2xx + busy.errors + busy.timeouts + single.non2xx + single.errors + single.timeouts;
      console.log(
        `${process.argv[2] ?? mode} ${gateway.label} round ${round}: c=64 ${Math.round(busy.requestsPerSecond)} req/s, CPU ${busyCpu} µs/request (main thread ${busyMain})` +
          ` | c=1 p50 ${Math.round(latency?.p50 ?? Number.NaN)} p99 ${Math.round(latency?.p99 ?? Number.NaN)} µs,` +
          ` CPU ${singleCpu} µs/request (main thread ${singleMain}) | failed ${failed}`,
      );
    }
  }
  const first = gateways[0] as Gateway;
  const direct = await runInWorker<LoadResult>('load-worker.ts', {
    ...job(first, 1, true),
    url: `${fake.baseURL}/chat/completions`,
  });
  console.log(
    `direct c=1 p50 ${Math.round(direct.latencyMicroseconds?.p50 ?? Number.NaN)} p99 ${Math.round(direct.latencyMicroseconds?.p99 ?? Number.NaN)} µs`,
  );
} finally {
  stopping = true;
  for (const gateway of gateways) await stopProcess(gateway.child);
  await fake.stop();
  for (const databases of allDatabases) await databases.drop();
  rmSync(directory, { recursive: true, force: true });
}
