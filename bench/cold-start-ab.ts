/**
 * Cold start of two server bundles, alternately in the same minutes (issue 22).
 *
 *   nice -n -10 npx tsx bench/cold-start-ab.ts [--server] <before-dist-dir> <after-dist-dir> [rounds=2]
 *
 * Embedded (`switchyard start`) by default; with --server, `switchyard api` on PostgreSQL and Redis: per
 * round and build a start on two new empty databases (every migration runs), then a start on them again
 * (migrated), then the databases are dropped.
 *
 * A bundle dir is a copy of apps/server/dist kept next to it (e.g. apps/server/dist-before), so its
 * relative paths to node_modules, the migrations and the web app resolve as for the real one. Per
 * round and build: a start on a fresh data dir (the PGlite template cache warmed by one unmeasured
 * start), then a start on that data dir again. Per start: spawn to the first 200 from `/health` and
 * from `/ready` (polled every 5 ms), the first `/ready` status, CPU seconds at that `/ready` (the
 * main thread and the other threads apart, from /proc/<pid>/task), RSS then, and after 5 s idle two
 * forced GCs and `process.memoryUsage()` (a preload answers SIGUSR2), and the `bootMs` Switchyard logs.
 * Prints one Markdown table.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createBenchDatabases, defaultRedisUrl } from './postgres';
import { freePort, probe, repoRoot, sleep, spawnNode, stopProcess, treeMemory } from './processes';
import { type SwitchyardSetup, switchyardEnvironment, writeSwitchyardConfig } from './switchyard';

interface Sample {
  build: string;
  dataDir: 'fresh' | 'existing';
  load: number;
  healthMs: number;
  readyMs: number;
  firstReady: number;
  cpuMain: number;
  cpuOther: number;
  rssAtReadyMb: number;
  rssIdleMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  devState: string;
  bootMs: number | null;
}

/** What a start runs on: embedded on a data dir, or server mode on two PostgreSQL databases. */
type Target =
  | { mode: 'embedded'; dataDir: string }
  | { mode: 'server'; dataDir: string; prodUrl: string; devUrl: string };

function lastBootMs(logFile: string): number | null {
  try {
    const matches = [...readFileSync(logFile, 'utf8').matchAll(/"bootMs":(\d+)/g)];
    const last = matches.at(-1)?.[1];
    return last === undefined ? null : Number(last);
  } catch {
    return null;
  }
}

const preload = `
process.on('SIGUSR2', () => {
  globalThis.gc?.(); globalThis.gc?.();
  const m = process.memoryUsage();
  require('node:fs').writeFileSync(process.env.BENCH_MEMORY_OUT, JSON.stringify(m));
});
`;

function threadCpu(pid: number): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      if (Number(tid) === pid) main += ticks;
      else other += ticks;
    } catch {
      // A thread that ended.
    }
  }
  return { main: main / 100, other: other / 100 };
}

const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function startOnce(
  build: string,
  cli: string,
  target: Target,
  kind: 'fresh' | 'existing',
  configPath: string,
  cacheHome: string,
  workDir: string,
): Promise<Sample> {
  const port = await freePort();
  const memoryFile = join(workDir, 'memory.json');
  const preloadFile = join(workDir, 'preload.cjs');
  writeFileSync(preloadFile, preload);
  const load = loadAverage();
  const started = performance.now();
  const setup: SwitchyardSetup =
    target.mode === 'embedded'
      ? { mode: 'embedded', port, configPath, dataDir: target.dataDir, extra: { XDG_CACHE_HOME: cacheHome } }
      : {
          mode: 'server',
          port,
          configPath,
          dataDir: target.dataDir,
          databaseUrl: target.prodUrl,
          devDatabaseUrl: target.devUrl,
          redisUrl: defaultRedisUrl,
          logLevel: 'info',
        };
  const logFile = join(workDir, `${build}.log`);
  const child = spawnNode(cli, [target.mode === 'embedded' ? 'start' : 'api'], {
    env: { ...switchyardEnvironment(setup), BENCH_MEMORY_OUT: memoryFile },
    nodeOptions: ['--expose-gc', '--require', preloadFile],
    logFile,
    cwd: repoRoot,
  });
  const base = `http://127.0.0.1:${port}`;
  let healthMs = Number.NaN;
  let readyMs = Number.NaN;
  let firstReady = 0;
  let cpu = { main: 0, other: 0 };
  let rssAtReady = 0;
  let devState = '';
  const deadline = started + 120_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${build} exited with ${child.exitCode}`);
    if (Number.isNaN(healthMs)) {
      if ((await probe(`${base}/health`, 500)) === 200) healthMs = performance.now() - started;
    }
    if (!Number.isNaN(healthMs)) {
      const response = await fetch(`${base}/ready`).catch(() => null);
      if (response) {
        const body = (await response.json().catch(() => ({}))) as {
          checks?: { database_dev?: { state?: string } };
        };
        if (firstReady === 0) firstReady = response.status;
        if (response.status === 200) {
          readyMs = performance.now() - started;
          cpu = threadCpu(child.pid as number);
          rssAtReady = treeMemory(child.pid as number).rssBytes;
          devState = body.checks?.database_dev?.state ?? '';
          break;
        }
      }
    }
    await sleep(5);
  }
  await sleep(5_000);
  await rm(memoryFile, { force: true });
  process.kill(child.pid as number, 'SIGUSR2');
  let memory: NodeJS.MemoryUsage | null = null;
  for (let attempt = 0; attempt < 200 && !memory; attempt += 1) {
    await sleep(25);
    try {
      memory = JSON.parse(readFileSync(memoryFile, 'utf8'));
    } catch {
      // Not written yet.
    }
  }
  const rssIdle = treeMemory(child.pid as number).rssBytes;
  await stopProcess(child, 30_000);
  return {
    build,
    dataDir: kind,
    load,
    healthMs: Math.round(healthMs),
    readyMs: Math.round(readyMs),
    firstReady,
    cpuMain: cpu.main,
    cpuOther: cpu.other,
    rssAtReadyMb: mb(rssAtReady),
    rssIdleMb: mb(rssIdle),
    heapUsedMb: mb(memory?.heapUsed ?? 0),
    heapTotalMb: mb(memory?.heapTotal ?? 0),
    externalMb: mb(memory?.external ?? 0),
    arrayBuffersMb: mb(memory?.arrayBuffers ?? 0),
    devState,
    bootMs: lastBootMs(logFile),
  };
}

async function main(): Promise<void> {
  const server = process.argv.includes('--server');
  const [beforeDir, afterDir, roundsArg] = process.argv.slice(2).filter((arg) => arg !== '--server');
  if (!beforeDir || !afterDir) {
    throw new Error('usage: cold-start-ab.ts [--server] <before-dist-dir> <after-dist-dir> [rounds]');
  }
  const rounds = Number(roundsArg ?? 2);
  const builds: [string, string][] = [
    ['before', join(resolve(beforeDir), 'cli.js')],
    ['after', join(resolve(afterDir), 'cli.js')],
  ];
  const workDir = await mkdtemp(join(tmpdir(), 'switchyard-cold-start-'));
  const configPath = await writeSwitchyardConfig(workDir, 'http://127.0.0.1:9/v1');
  const cacheHome = join(workDir, 'xdg-cache');
  await mkdir(cacheHome, { recursive: true });
  const startOn = async (name: string, each: (target: Target) => Promise<void>) => {
    const dataDir = join(workDir, name);
    if (!server) return each({ mode: 'embedded', dataDir });
    const databases = await createBenchDatabases();
    try {
      await each({ mode: 'server', dataDir, prodUrl: databases.prodUrl, devUrl: databases.devUrl });
    } finally {
      await databases.drop();
    }
  };
  // One unmeasured start: the PGlite template every fresh data dir then copies (embedded), the page cache (both).
  await startOn('warm-up', (target) =>
    startOnce('warm-up', builds[0]?.[1] as string, target, 'fresh', configPath, cacheHome, workDir).then(() => {}),
  );
  const samples: Sample[] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const [build, cli] of builds) {
      await startOn(`${build}-${round}`, async (target) => {
        for (const kind of ['fresh', 'existing'] as const) {
          const sample = await startOnce(build, cli, target, kind, configPath, cacheHome, workDir);
          samples.push(sample);
          console.error(JSON.stringify(sample));
        }
      });
    }
  }
  console.log(
    `| build | ${server ? 'databases' : 'data dir'} | load avg | to \`/health\` (ms) | to \`/ready\` 200 (ms) | first \`/ready\` | CPU at \`/ready\`: main + other threads (s) | RSS at ready (MB) | RSS idle after GC (MB) | JS heap used / total (MB) | external / arrayBuffers (MB) | \`database_dev\` | \`bootMs\` |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of samples) {
    console.log(
      `| ${s.build} | ${s.dataDir} | ${s.load.toFixed(2)} | ${s.healthMs.toLocaleString('en')} | ${s.readyMs.toLocaleString('en')} | ${s.firstReady} | ${(s.cpuMain + s.cpuOther).toFixed(2)} = ${s.cpuMain.toFixed(2)} + ${s.cpuOther.toFixed(2)} | ${s.rssAtReadyMb} | ${s.rssIdleMb} | ${s.heapUsedMb} / ${s.heapTotalMb} | ${s.externalMb} / ${s.arrayBuffersMb} | ${s.devState} | ${s.bootMs ?? ''} |`,
    );
  }
  await rm(workDir, { recursive: true, force: true });
}

await main();
