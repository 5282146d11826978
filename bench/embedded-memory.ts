/**
 * What embedded mode's idle memory is made of (issue 22's "idle RSS ≤ 150 MB"), side by side in one run:
 *
 *   npx tsx bench/embedded-memory.ts [rounds=3]
 *
 * Three processes per round, one after the other, each measured the way the full bench measures idle
 * RSS (2 s after it is ready, nothing asked of it), then again after two forced collections with
 * `process.memoryUsage()` (a preload answers SIGUSR2):
 *   - node: a bare Node.js process (an interval keeps it alive);
 *   - pglite: Node.js with the embedded database alone, opened as `@switchyard/db` opens it in
 *     `switchyard start`: its WebAssembly module compiled ahead for Liftoff only, the same
 *     `shared_buffers`, on a migrated data directory, after one query;
 *   - switchyard: `switchyard start` (the bundle) on that data directory.
 * The first two are the floor under embedded mode's idle RSS and cold start (spawn to ready; the
 * polling adds up to 10 ms): what Switchyard adds is the third less the second. After the forced
 * collections the RSS is also split by mapping (bench/memory-breakdown.ts: PGlite's WebAssembly memory,
 * glibc's thread arenas, the main malloc heap, V8's heap and other anonymous memory, the node binary).
 * Prints Markdown tables of medians and the rounds' RSS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPgliteSharedBuffers } from '@switchyard/db';
import { type MemoryBreakdown, memoryBreakdown } from './memory-breakdown';
import { freePort, repoRoot, runMain, sleep, spawnNode, stopProcess, treeMemory } from './processes';
import { medianOfRuns as median } from './stats';
import { switchyardEnvironment, writeSwitchyardConfig } from './switchyard';

const preload = `
process.on('SIGUSR2', () => {
  globalThis.gc?.(); globalThis.gc?.();
  require('node:fs').writeFileSync(process.env.BENCH_MEMORY_OUT, JSON.stringify(process.memoryUsage()));
});
`;

/** Keeps the process alive and says it is ready, like a server would. */
const bareNode = `
require('node:fs').writeFileSync(process.env.BENCH_READY_OUT, 'ready');
setInterval(() => {}, 60_000);
`;

/**
 * PGlite as @switchyard/db opens it for embedded mode (packages/db/src/client.ts and pglite-artifacts.ts:
 * the module compiled from the file ahead for Liftoff only, `shared_buffers`).
 */
function pgliteOnly(pgliteEntry: string): string {
  return `
const { PGlite } = require(${JSON.stringify(pgliteEntry)});
const wasm = require('node:path').join(require('node:path').dirname(${JSON.stringify(pgliteEntry)}), 'pglite.wasm');
require('node:v8').setFlagsFromString('--liftoff-only');
const pgliteWasmModule = WebAssembly.compile(require('node:fs').readFileSync(wasm));
(async () => {
  const db = await PGlite.create(process.env.BENCH_PGDATA, {
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=${defaultPgliteSharedBuffers}'],
    pgliteWasmModule: await pgliteWasmModule,
  });
  await db.query('select count(*) from pg_class');
  require('node:fs').writeFileSync(process.env.BENCH_READY_OUT, 'ready');
  setInterval(() => {}, 60_000);
})();
`;
}

interface Sample {
  subject: string;
  /** Spawn to ready: a bare process's start, PGlite's open, Switchyard's first 200 from /ready. */
  readyMs: number;
  rssIdleMb: number;
  rssAfterGcMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  breakdown: MemoryBreakdown | null;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

async function waitFor<T>(read: () => T | null, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = read();
    if (value !== null) return value;
    await sleep(25);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

async function measure(
  subject: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  workDir: string,
): Promise<Sample> {
  const memoryFile = join(workDir, `${subject}-memory.json`);
  await rm(memoryFile, { force: true });
  const child = spawnNode(script, args, {
    env: { ...env, BENCH_MEMORY_OUT: memoryFile },
    nodeOptions: ['--expose-gc', '--require', join(workDir, 'preload.cjs')],
    logFile: join(workDir, `${subject}.log`),
    cwd: repoRoot,
  });
  const started = performance.now();
  const deadline = started + 120_000;
  while (!(await ready())) {
    if (child.exitCode !== null) throw new Error(`${subject} exited with ${child.exitCode} (see ${workDir})`);
    if (performance.now() > deadline) throw new Error(`${subject} was not ready within 120 s`);
    await sleep(10);
  }
  const readyMs = Math.round(performance.now() - started);
  await sleep(2_000);
  const rssIdle = treeMemory(child.pid as number).rssBytes;
  process.kill(child.pid as number, 'SIGUSR2');
  const memory = await waitFor(() => readJson<NodeJS.MemoryUsage>(memoryFile), `${subject}'s memory report`);
  const rssAfterGc = treeMemory(child.pid as number).rssBytes;
  const breakdown = memoryBreakdown(child.pid as number);
  await stopProcess(child, 30_000);
  return {
    subject,
    readyMs,
    rssIdleMb: mb(rssIdle),
    rssAfterGcMb: mb(rssAfterGc),
    heapUsedMb: mb(memory.heapUsed),
    heapTotalMb: mb(memory.heapTotal),
    externalMb: mb(memory.external),
    breakdown,
  };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const workDir = await mkdtemp(join(tmpdir(), 'switchyard-embedded-memory-'));
  writeFileSync(join(workDir, 'preload.cjs'), preload);
  writeFileSync(join(workDir, 'node.cjs'), bareNode);
  const pgliteEntry = createRequire(join(repoRoot, 'packages/db/package.json')).resolve('@electric-sql/pglite');
  writeFileSync(join(workDir, 'pglite.cjs'), pgliteOnly(pgliteEntry));
  const dataDir = join(workDir, 'data');
  // No model is called while idle: the configured upstream is never asked.
  const configPath = await writeSwitchyardConfig(workDir, 'http://127.0.0.1:9/v1');
  const cli = join(repoRoot, 'apps/server/dist/cli.js');
  const switchyard = async () => {
    const port = await freePort();
    const env = switchyardEnvironment({
      mode: 'embedded',
      port,
      configPath,
      dataDir,
      extra: { XDG_CACHE_HOME: join(workDir, 'cache') },
    });
    return {
      env,
      ready: async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null))?.status === 200,
    };
  };
  // One unmeasured start creates and migrates the data directory (and warms the template cache).
  const first = await switchyard();
  await measure('warm-up', cli, ['start'], first.env, first.ready, workDir);

  const samples: Sample[] = [];
  const load = [loadavg()[0] as number];
  for (let round = 0; round < rounds; round++) {
    const readyFile = join(workDir, 'ready');
    const readyFromFile = async () => readFileSafe(readyFile) === 'ready';
    await rm(readyFile, { force: true });
    samples.push(
      await measure('node', join(workDir, 'node.cjs'), [], { BENCH_READY_OUT: readyFile }, readyFromFile, workDir),
    );
    await rm(readyFile, { force: true });
    samples.push(
      await measure(
        'pglite',
        join(workDir, 'pglite.cjs'),
        [],
        { BENCH_READY_OUT: readyFile, BENCH_PGDATA: join(dataDir, 'prod') },
        readyFromFile,
        workDir,
      ),
    );
    const target = await switchyard();
    samples.push(await measure('switchyard', cli, ['start'], target.env, target.ready, workDir));
    load.push(loadavg()[0] as number);
  }
  await rm(workDir, { recursive: true, force: true });

  const subjects = ['node', 'pglite', 'switchyard'];
  const rows = subjects.map((subject) => {
    const of = samples.filter((sample) => sample.subject === subject);
    const pick = (key: keyof Omit<Sample, 'subject' | 'breakdown'>) => median(of.map((sample) => sample[key]));
    const part = (key: keyof MemoryBreakdown) =>
      Math.round(median(of.map((sample) => sample.breakdown?.[key] ?? 0)) * 10) / 10;
    return {
      subject,
      readyMs: pick('readyMs'),
      rssIdle: pick('rssIdleMb'),
      rssAfterGc: pick('rssAfterGcMb'),
      heapUsed: pick('heapUsedMb'),
      heapTotal: pick('heapTotalMb'),
      external: pick('externalMb'),
      rounds: of.map((sample) => sample.rssIdleMb).join(' / '),
      parts: (['wasmMb', 'arenasMb', 'brkMb', 'v8Mb', 'nodeMb', 'otherMb'] as const).map((key) => part(key)),
    };
  });
  const lines = [
    `Embedded idle memory, ${rounds} rounds, Node ${process.version}, load average ${load.map((value) => value.toFixed(2)).join(' → ')}; medians in MB`,
    '',
    '| process | ready (ms) | RSS 2 s after ready | RSS after 2 forced GCs | V8 heap used / total | external (incl. WebAssembly memory) | RSS per round |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (row) =>
        `| ${row.subject} | ${row.readyMs} | ${row.rssIdle} | ${row.rssAfterGc} | ${row.heapUsed} / ${row.heapTotal} | ${row.external} | ${row.rounds} |`,
    ),
  ];
  lines.push(
    '',
    'RSS after the forced GCs by mapping (bench/memory-breakdown.ts), MB:',
    '',
    '| process | WebAssembly memory | malloc thread arenas | main malloc heap | V8 heap and other anonymous | node binary | other files |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row.subject} | ${row.parts.join(' | ')} |`),
  );
  const [node, pglite, app] = rows;
  if (node && pglite && app) {
    lines.push(
      '',
      `PGlite adds ${(pglite.rssIdle - node.rssIdle).toFixed(1)} MB and ${pglite.readyMs - node.readyMs} ms to a bare Node.js process; Switchyard adds ${(app.rssIdle - pglite.rssIdle).toFixed(1)} MB and ${app.readyMs - pglite.readyMs} ms to that.`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function readFileSafe(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

runMain(main);
