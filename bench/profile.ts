import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createBenchDatabases, defaultRedisUrl } from './postgres';
import { freePort, repoRoot, sleep, stopProcess } from './processes';
import {
  createAdminKey,
  prepareEmbeddedDatabase,
  raiseRateLimit,
  type SwitchyardSetup,
  startSwitchyard,
  writeSwitchyardConfig,
} from './switchyard';
import type { LoadResult } from './worker-protocol';
import { chatBody, runInWorker } from './workers';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfPercent: number;
}

export interface ProfileSummary {
  mode: 'embedded' | 'server';
  connections: number;
  durationSeconds: number;
  requestsPerSecond: number;
  samples: number;
  /** Share of samples not idle: how busy the gateway's main thread was. */
  busyPercent: number;
  /** Self time as a share of all non-idle samples in the load window. */
  topFunctions: ProfileEntry[];
  /** The same, grouped by package (node_modules name, Switchyard package, node internals). */
  byPackage: ProfileEntry[];
  /** Time inside a function and everything it calls (scheduler and hook-runner frames left out). */
  topInclusive: ProfileEntry[];
  profileFile: string;
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (built-in)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const match = /\/(apps|packages)\/([^/]+)\//.exec(url);
  if (match) return `@switchyard/${match[2]} (${match[1]})`;
  return url;
}

function shortLocation(url: string, line: number): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? relative(repoRoot, new URL(url).pathname) : url;
  const trimmed = path.replace(/^(\.\.\/)*node_modules\//, '');
  // tsx transpiles TypeScript without keeping line numbers in the profile, so only the file is meaningful.
  return trimmed.endsWith('.ts') ? trimmed : `${trimmed}:${line + 1}`;
}

/** Self time per function, counting only samples taken inside [fromMicros, toMicros] (CLOCK_MONOTONIC). */
export function summariseProfile(
  profile: CpuProfile,
  fromMicros: number,
  toMicros: number,
  limit = 20,
): Omit<ProfileSummary, 'mode' | 'connections' | 'durationSeconds' | 'requestsPerSecond' | 'profileFile'> {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const inclusive = new Map<string, { name: string; where: string; count: number }>();
  const perFunction = new Map<string, { name: string; where: string; count: number }>();
  const perPackage = new Map<string, number>();
  let time = profile.startTime;
  let total = 0;
  let idle = 0;
  for (let index = 0; index < profile.samples.length; index += 1) {
    time += profile.timeDeltas[index] ?? 0;
    if (time < fromMicros || time > toMicros) continue;
    const frame = frames.get(profile.samples[index] as number);
    if (!frame) continue;
    total += 1;
    if (frame.functionName === '(idle)') {
      idle += 1;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const where = shortLocation(frame.url, frame.lineNumber);
    const key = `${name}@${where}`;
    const entry = perFunction.get(key) ?? { name, where, count: 0 };
    entry.count += 1;
    perFunction.set(key, entry);
    const owner = packageOf(frame.url, frame.functionName);
    perPackage.set(owner, (perPackage.get(owner) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = profile.samples[index]; id !== undefined; id = parents.get(id)) {
      const ancestor = frames.get(id);
      if (!ancestor || genericFrames.has(ancestor.functionName)) continue;
      const ancestorName = ancestor.functionName || '(anonymous)';
      const ancestorWhere = shortLocation(ancestor.url, ancestor.lineNumber);
      const ancestorKey = `${ancestorName}@${ancestorWhere}`;
      if (seen.has(ancestorKey)) continue;
      seen.add(ancestorKey);
      const entry = inclusive.get(ancestorKey) ?? { name: ancestorName, where: ancestorWhere, count: 0 };
      entry.count += 1;
      inclusive.set(ancestorKey, entry);
    }
  }
  const busy = Math.max(1, total - idle);
  const percent = (count: number) => Math.round((count / busy) * 1000) / 10;
  return {
    samples: total,
    busyPercent: total ? Math.round(((total - idle) / total) * 1000) / 10 : 0,
    topFunctions: [...perFunction.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, limit)
      .map((entry) => ({ name: entry.name, where: entry.where, selfPercent: percent(entry.count) })),
    topInclusive: [...inclusive.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, 30)
      .map((entry) => ({ name: entry.name, where: entry.where, selfPercent: percent(entry.count) })),
    byPackage: [...perPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, count]) => ({ name, where: '', selfPercent: percent(count) })),
  };
}

/** Frames every sample passes through; as "inclusive time" they would only say "everything". */
const genericFrames = new Set([
  '(root)',
  '(program)',
  'processTicksAndRejections',
  'runMicrotasks',
  'processImmediate',
  'listOnTimeout',
  'processTimers',
  'emit',
  'runInAsyncScope',
  'wrapThenable',
  'hookIterator',
  'next',
  'handleResolved',
  'onStreamRead',
  'afterWriteDispatched',
]);

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Switchyard embedded under `node --cpu-prof`, non-streaming load at the given
 * concurrency; only samples from the measured window count.
 */
export async function profileSwitchyard(options: {
  mode: 'embedded' | 'server';
  workDir: string;
  logDir: string;
  upstreamBaseURL: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}): Promise<ProfileSummary> {
  const directory = join(options.workDir, `profile-${options.mode}`);
  const profileDir = join(directory, 'cpuprofile');
  await mkdir(profileDir, { recursive: true });
  const databases = options.mode === 'server' ? await createBenchDatabases() : null;
  const setup: SwitchyardSetup = {
    mode: options.mode,
    port: await freePort(),
    configPath: await writeSwitchyardConfig(directory, options.upstreamBaseURL),
    dataDir: join(directory, 'data'),
    ...(databases
      ? { databaseUrl: databases.prodUrl, devDatabaseUrl: databases.devUrl, redisUrl: defaultRedisUrl }
      : {}),
  };
  if (options.mode === 'embedded') await prepareEmbeddedDatabase(setup.dataDir);
  let started: Awaited<ReturnType<typeof startSwitchyard>>;
  try {
    started = await startSwitchyard(setup, {
      logFile: join(options.logDir, `profile-${options.mode}.log`),
      nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    });
  } catch (error) {
    await databases?.drop();
    throw error;
  }
  let load: LoadResult;
  let from = 0;
  let to = 0;
  try {
    const key = await createAdminKey(setup);
    await raiseRateLimit(started.baseUrl, key);
    const job = {
      url: `${started.baseUrl}/v1/chat/completions`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: chatBody('bench', false),
      connections: options.connections,
      warmupSeconds: 0,
      recordLatencies: false,
    };
    await runInWorker<LoadResult>('load-worker.ts', { ...job, durationSeconds: options.warmupSeconds });
    // The worker needs a moment to start; the window is trimmed so only steady load is counted.
    from = monotonicMicros() + 700_000;
    load = await runInWorker<LoadResult>('load-worker.ts', { ...job, durationSeconds: options.durationSeconds });
    to = monotonicMicros() - 200_000;
  } finally {
    await stopProcess(started.child, 60_000);
    await databases?.drop();
  }
  await sleep(200);
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (1 is tsx's loader).
  const file = readdirSync(profileDir).find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (!file) throw new Error(`no .cpuprofile written to ${profileDir}`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
  return {
    mode: options.mode,
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    requestsPerSecond: load.requestsPerSecond,
    profileFile: join(profileDir, file),
    ...summariseProfile(profile, from, to),
  };
}
