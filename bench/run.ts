/**
 * `npm run bench [-- --quick] [-- --name NAME]`: the whole benchmark, one
 * target at a time on this machine, results in bench/results/.
 * See bench/README.md for what each number means.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine';
import { measureColdStarts } from './measure-cold-start';
import { measureLatency, measureThroughput } from './measure-load';
import { measureOpenStreams } from './measure-open-streams';
import { measureStreaming } from './measure-streaming';
import { startNoiseMeter, waitForQuiet } from './noise';
import { clientStreamLimit, gatewayStreamCapacity } from './open-streams-plan';
import { isPostgresReachable } from './postgres';
import { benchDir, repoRoot, runMain, sleep } from './processes';
import { profileSwitchyard } from './profile';
import { buildTable, renderMarkdown, renderTable } from './report';
import { writeChart } from './report-chart';
import {
  type BenchResults,
  type BenchSettings,
  emptyTargetResult,
  type PeakPhaseUsage,
  type TargetResult,
} from './results';
import { supportsWorkers } from './switchyard';
import { type RunningTarget, startTarget, type TargetName, targetDefinitions } from './targets';
import { type FakeUpstream, startFakeUpstream } from './upstream';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    name: { type: 'string' },
    targets: { type: 'string' },
    'skip-cold-start': { type: 'boolean', default: false },
    'skip-profile': { type: 'boolean', default: false },
    'profile-server': { type: 'boolean', default: false },
    'update-docs': { type: 'boolean' },
    'no-docs': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const quick = flags.quick ?? false;
/** How long, over the whole run, the bench may wait for other processes to quieten down before measuring. */
const quietBudget = { remainingMs: 180_000 };
const log = (message: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function redisReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(6379, '127.0.0.1');
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.end('PING\r\n');
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function emptyResult(running: RunningTarget): TargetResult {
  return emptyTargetResult(running.definition.name, running.definition.label, running.startupMs);
}

async function phase<T>(
  result: TargetResult,
  name: string,
  action: () => Promise<T>,
  options: { measured?: boolean } = {},
): Promise<T | null> {
  const measured = options.measured ?? true;
  // A quick run does not wait: it only records how busy the machine was.
  const quiet = measured && !quick ? await waitForQuiet(Math.min(30_000, quietBudget.remainingMs)) : null;
  if (quiet) quietBudget.remainingMs = Math.max(0, quietBudget.remainingMs - quiet.waitedMs);
  if (quiet && quiet.noise.foreignCores >= 0.25) {
    log(
      `${result.name}: other processes use ${quiet.noise.foreignCores} cores (${quiet.noise.busiest[0]?.command ?? '?'})`,
    );
  }
  log(`${result.name}: ${name}`);
  const meter = measured ? startNoiseMeter() : null;
  try {
    return await action();
  } catch (error) {
    const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
    log(`${result.name}: FAILED ${message}`);
    result.errors.push(message);
    return null;
  } finally {
    if (meter) {
      const noise = meter.stop();
      result.noise.push({ phase: name, waitedForQuietMs: Math.round(quiet?.waitedMs ?? 0), ...noise });
    }
  }
}

async function benchTarget(
  name: TargetName,
  fake: FakeUpstream,
  settings: BenchSettings,
  context: { workDir: string; logDir: string },
): Promise<TargetResult> {
  const definition = targetDefinitions[name];
  log(`${name}: starting`);
  let running: RunningTarget;
  try {
    running = await startTarget(definition, { fake, ...context });
  } catch (error) {
    return {
      ...emptyResult({ definition, startupMs: null } as RunningTarget),
      errors: [`start: ${error instanceof Error ? error.message : String(error)}`],
    };
  }
  const result = emptyResult(running);
  try {
    await sleep(quick ? 1000 : 2000);
    result.idle = running.memory();
    // Open streams first, while the heap is still at its idle size: after the load runs the heap has grown
    // and new streams would fill free space without raising RSS, hiding their cost.
    if (name !== 'direct') {
      // A multi-worker server spreads connections over its processes, each with its own open-files limit:
      // it gets the 10,000 (quick runs too), the client side split over several processes.
      const multiWorker = (definition.workers ?? 1) > 1;
      const streams = multiWorker ? settings.openStreamsMultiWorker : settings.openStreams;
      result.openStreams = await phase(result, `${streams} open streams`, () =>
        measureOpenStreams(running, fake, {
          streams,
          batchSize: quick && !multiWorker ? 100 : 500,
          maxOpeningSeconds: multiWorker ? 600 : quick ? 5 : 60,
          maxPerClient: clientStreamLimit(settings.openFilesLimit),
        }),
      );
      await phase(result, 'restarting the gateway for the load runs', () => running.restart(), { measured: false });
      await sleep(quick ? 500 : 1000);
      result.idleAfterRestart = running.memory();
    }
    const timing = { durationSeconds: settings.durationSeconds, warmupSeconds: settings.warmupSeconds };
    result.latency = await phase(result, 'latency at c=1', () => measureLatency(running, timing));
    const highest = Math.max(...settings.concurrencies);
    for (const connections of settings.concurrencies) {
      const before = connections === highest ? await running.liveUsage().catch(() => null) : null;
      const run = await phase(result, `throughput at c=${connections}`, () =>
        measureThroughput(running, connections, timing),
      );
      if (run) result.throughput.push(run);
      if (before) {
        // One flush interval (1 s) plus slack, so the run's last rows are in.
        await sleep(1500);
        const after = await running.liveUsage().catch(() => null);
        if (after) {
          const peak: PeakPhaseUsage = {
            rows: after.rows - before.rows,
            insertStatements: after.insertStatements - before.insertStatements,
            rowsPerInsert: 0,
          };
          peak.rowsPerInsert = peak.insertStatements > 0 ? peak.rows / peak.insertStatements : 0;
          result.peakPhaseUsage = peak;
        }
      }
    }
    result.afterLoad = running.memory();
    const warmupRequests = quick ? 20 : 50;
    result.streaming = await phase(result, 'streaming, paced chunks: time to first token', () =>
      measureStreaming(running, fake, {
        requests: settings.streamingRequests,
        warmupRequests,
        chunks: settings.pacedChunks,
        delayMs: settings.pacedDelayMs,
      }),
    );
    result.streamingBurst = await phase(result, 'streaming, back-to-back chunks: per-chunk overhead', () =>
      measureStreaming(running, fake, {
        requests: settings.streamingRequests,
        warmupRequests,
        chunks: settings.streamingChunks,
        delayMs: 0,
      }),
    );
  } finally {
    const completed =
      (result.latency ? result.latency.ok + result.latency.warmupOk : 0) +
      result.throughput.reduce((sum, run) => sum + run.ok + run.warmupOk, 0) +
      (result.streaming?.completed ?? 0) +
      (result.streamingBurst?.completed ?? 0);
    const usage = await phase(result, 'stopping (SIGTERM) and counting usage rows', () => running.stop(completed), {
      measured: false,
    });
    result.usage = usage ?? null;
  }
  return result;
}

/** docs/benchmarks.md keeps its prose; only the block between the markers is replaced. */
async function updateDocs(markdownTable: string, results: BenchResults, files: { md: string; png: string }) {
  const path = join(repoRoot, 'docs', 'benchmarks.md');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const start = '<!-- bench:latest:start -->';
  const end = '<!-- bench:latest:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) return;
  const block = [
    start,
    '',
    `Latest full run: **${results.date}** — [${relative(join(repoRoot, 'docs'), files.md)}](${relative(join(repoRoot, 'docs'), files.md)}).`,
    '',
    `![Switchyard vs Portkey vs direct](${relative(join(repoRoot, 'docs'), files.png)})`,
    '',
    markdownTable,
    '',
    end,
  ].join('\n');
  await writeFile(path, text.slice(0, from) + block + text.slice(to + end.length));
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const machine = describeMachine();
  // A gateway holds a client socket and an upstream socket per stream; keep clear of the open-files limit.
  const openStreamsRequested = quick ? 500 : 10_000;
  const fitting = gatewayStreamCapacity(machine.openFilesLimit, 1);
  const settings: BenchSettings = {
    durationSeconds: quick ? 3 : 10,
    warmupSeconds: quick ? 1 : 2,
    concurrencies: [64, 256],
    streamingRequests: quick ? 100 : 500,
    pacedChunks: 5,
    pacedDelayMs: 2,
    streamingChunks: 100,
    openStreams: Math.min(openStreamsRequested, fitting),
    openStreamsRequested,
    openStreamsMultiWorker: Math.min(10_000, gatewayStreamCapacity(machine.openFilesLimit, 2)),
    openFilesLimit: machine.openFilesLimit,
    coldStartRepetitions: quick ? 1 : 3,
    profileSeconds: quick ? 3 : 10,
  };
  const notes: string[] = [];
  const workersSupported = supportsWorkers();
  const serverMode = (await isPostgresReachable()) && (await redisReachable());
  let names: TargetName[] = ['direct', 'floor', 'switchyard-embedded', 'switchyard-server', 'portkey'];
  if (workersSupported) names.splice(4, 0, 'switchyard-server-2-workers');
  else
    notes.push(
      '`switchyard api --workers N` does not exist yet: server mode is reported with 1 worker (one process, so at most one core for JavaScript).',
    );
  if (!serverMode) {
    names = names.filter((name) => !name.startsWith('switchyard-server'));
    notes.push('PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) did not answer: server mode skipped.');
  }
  if (flags.targets) {
    // Direct is the baseline every "added" number needs; `--targets none` runs only cold starts and the profile.
    const wanted = new Set(flags.targets.split(','));
    names = wanted.has('none') ? [] : names.filter((name) => wanted.has(name) || name === 'direct');
  }
  if (settings.openStreams < openStreamsRequested) {
    notes.push(
      `Open-files limit ${machine.openFilesLimit} (hard limit too; raising it needs privileges this machine lacks): a gateway holding N streams needs ~2N descriptors, so ${settings.openStreams.toLocaleString('en-US')} streams were opened per one-process target and its memory at 10,000 is extrapolated from the measured per-stream growth; the 2-worker server (two processes, each with its own limit) is asked for ${settings.openStreamsMultiWorker.toLocaleString('en-US')}, from client processes of at most ${clientStreamLimit(machine.openFilesLimit).toLocaleString('en-US')} streams each.`,
    );
  }
  notes.push(
    `All processes share ${machine.cores} cores: autocannon (one process), the gateway and the fake upstream compete for CPU, so "direct" is the ceiling of this machine, not of the network, and a gateway's req/s is limited by what the load generator leaves it.`,
  );
  notes.push(
    'Added latency at c=1 uses autocannon with every response time recorded (its own histogram only resolves whole milliseconds); TTFT and whole-stream times use a raw node:http client at c=1.',
  );

  const workDir = await mkdtemp(join(tmpdir(), 'switchyard-bench-'));
  const logDir = join(workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  log(`work dir ${workDir}; ${quick ? 'quick' : 'full'} run; targets ${names.join(', ')}`);
  const fake = await startFakeUpstream(join(logDir, 'fake-upstream.log'));
  const results: BenchResults = {
    name: flags.name ?? (quick ? 'quick' : 'full'),
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    quick,
    machine,
    settings,
    workersSupported,
    notes,
    targets: {},
    coldStart: null,
    profiles: [],
  };
  try {
    for (const name of names) {
      results.targets[name] = await benchTarget(name, fake, settings, { workDir, logDir });
    }
    if (!flags['skip-cold-start']) {
      log('cold starts');
      try {
        results.coldStart = await measureColdStarts({
          workDir,
          logDir,
          upstreamBaseURL: fake.baseURL,
          repetitions: settings.coldStartRepetitions,
          serverMode,
          firstEver: !quick,
        });
      } catch (error) {
        notes.push(`Cold start measurement failed: ${String(error)}`);
      }
    }
    const profileModes: Array<'embedded' | 'server'> = flags['skip-profile']
      ? []
      : flags['profile-server'] && serverMode
        ? ['embedded', 'server']
        : ['embedded'];
    for (const mode of profileModes) {
      log(`profiling Switchyard ${mode} at c=64 for ${settings.profileSeconds} s`);
      try {
        results.profiles.push(
          await profileSwitchyard({
            mode,
            workDir,
            logDir,
            upstreamBaseURL: fake.baseURL,
            connections: 64,
            durationSeconds: settings.profileSeconds,
            warmupSeconds: settings.warmupSeconds,
          }),
        );
      } catch (error) {
        notes.push(`Profiling (${mode}) failed: ${String(error)}`);
      }
    }
  } finally {
    await fake.stop();
  }
  for (const [name, target] of Object.entries(results.targets)) {
    if (target.errors.length) notes.push(`${name}: ${target.errors.join('; ')}`);
  }
  results.finishedAt = new Date().toISOString();

  const resultsDir = join(benchDir, 'results');
  await mkdir(resultsDir, { recursive: true });
  const base = join(resultsDir, `${results.date}-${results.name}`);
  const rows = buildTable(results);
  const files = { json: `${base}.json`, md: `${base}.md`, png: `${base}.png` };
  await writeFile(files.json, `${JSON.stringify({ ...results, table: rows }, null, 2)}\n`);
  await writeChart(files.png, results, rows);
  await writeFile(files.md, renderMarkdown(results, rows, relative(resultsDir, files.png)));
  if (!flags['no-docs'] && (flags['update-docs'] ?? !quick))
    await updateDocs(renderTable(results, rows), results, files);
  log(`wrote ${relative(repoRoot, files.json)}, .md, .png`);
  process.stdout.write(`\n${renderTable(results, rows)}\n\n`);
  if (flags.keep) log(`kept ${workDir}`);
  else await rm(workDir, { recursive: true, force: true });
}

runMain(main);
