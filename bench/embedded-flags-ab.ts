/**
 * Idle RSS against throughput for process-level settings of embedded mode (issue 22), side by side:
 *
 *   npx tsx bench/embedded-flags-ab.ts [rounds=3] [variant ...]
 *
 * A variant is `name` or `name=<node options, VAR=value settings and bundle:<dir>, space separated>`,
 * e.g. `default 'semi4=--max-semi-space-size=4' 'arena2=MALLOC_ARENA_MAX=2'` (the default list), or
 * `before=bundle:apps/server/dist-before after` (a copy of apps/server/dist kept next to it). Per round,
 * every variant in turn: `switchyard start` (the bundle) on its own data dir with the fake upstream,
 * then RSS 2 s after the start (the full bench's idle RSS), non-streaming chat requests at 10
 * connections for 8 s after 2 s of warm-up (requests per second, the gateway's CPU per response,
 * highest RSS while it ran), and RSS 2 s after the load. Prints one Markdown table of medians.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureThroughput } from './measure-load';
import { runMain, sleep } from './processes';
import { medianOfRuns as median } from './stats';
import { startTarget, type TargetDefinition, targetDefinitions } from './targets';
import { startFakeUpstream } from './upstream';

interface Variant {
  name: string;
  nodeOptions: string[];
  env: Record<string, string>;
  entry?: string;
  /** The bundle dir as given. */
  bundle?: string;
}

function parseVariant(argument: string): Variant {
  const [name, settings = ''] = argument.split(/=(.*)/s, 2) as [string, string?];
  const variant: Variant = { name, nodeOptions: [], env: {} };
  for (const setting of settings.split(/\s+/).filter(Boolean)) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(setting);
    if (setting.startsWith('bundle:')) {
      variant.bundle = setting.slice('bundle:'.length);
      variant.entry = join(resolve(variant.bundle), 'cli.js');
    } else if (assignment) variant.env[assignment[1] as string] = assignment[2] as string;
    else variant.nodeOptions.push(setting);
  }
  return variant;
}

interface Sample {
  startupMs: number | null;
  idleMb: number;
  requestsPerSecond: number;
  cpuMicrosecondsPerRequest: number | null;
  peakMb: number;
  afterLoadMb: number;
}

const mb = (bytes: number | null | undefined) => (bytes ? Math.round((bytes / 2 ** 20) * 10) / 10 : 0);

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const given = process.argv.slice(3);
  const variants = (
    given.length ? given : ['default', 'semi4=--max-semi-space-size=4', 'arena2=MALLOC_ARENA_MAX=2']
  ).map(parseVariant);
  const workDir = await mkdtemp(join(tmpdir(), 'switchyard-embedded-flags-'));
  const logDir = join(workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const fake = await startFakeUpstream(join(logDir, 'fake-upstream.log'));
  const samples = new Map<string, Sample[]>(variants.map((variant) => [variant.name, []]));
  const load = [loadavg()[0] as number];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const definition: TargetDefinition = {
          ...targetDefinitions['switchyard-embedded'],
          nodeOptions: variant.nodeOptions,
          env: variant.env,
          ...(variant.entry ? { entry: variant.entry } : {}),
        };
        const roundDir = join(workDir, `${variant.name}-${round}`);
        await mkdir(roundDir, { recursive: true });
        const target = await startTarget(definition, { fake, workDir: roundDir, logDir: roundDir });
        try {
          await sleep(2_000);
          const idle = target.memory();
          const result = await measureThroughput(target, 10, { durationSeconds: 8, warmupSeconds: 2 });
          await sleep(2_000);
          const after = target.memory();
          samples.get(variant.name)?.push({
            startupMs: target.startupMs,
            idleMb: mb(idle?.rssBytes),
            requestsPerSecond: result.requestsPerSecond,
            cpuMicrosecondsPerRequest: result.cpuMicrosecondsPerRequest,
            peakMb: mb(result.rssDuringLoadBytes),
            afterLoadMb: mb(after?.rssBytes),
          });
        } finally {
          await target.stop(0);
        }
      }
      load.push(loadavg()[0] as number);
    }
  } finally {
    await fake.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  const lines = [
    `Embedded settings A/B, ${rounds} rounds, Node ${process.version}, load average ${load.map((value) => value.toFixed(2)).join(' → ')}; medians`,
    '',
    '| variant | settings | to /health (ms) | idle RSS (MB) | req/s at 10 connections | CPU per response (µs) | peak RSS under load (MB) | RSS 2 s after load (MB) | idle RSS per round |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const variant of variants) {
    const of = samples.get(variant.name) ?? [];
    const pick = (read: (sample: Sample) => number | null) =>
      median(of.map(read).filter((value): value is number => value !== null));
    const settings = [
      ...(variant.bundle ? [`bundle ${variant.bundle}`] : []),
      ...Object.entries(variant.env).map(([key, value]) => `${key}=${value}`),
      ...variant.nodeOptions,
    ];
    lines.push(
      `| ${variant.name} | ${settings.map((setting) => `\`${setting}\``).join(' ') || '—'} | ${Math.round(pick((sample) => sample.startupMs))} | ${pick((sample) => sample.idleMb)} | ${Math.round(pick((sample) => sample.requestsPerSecond))} | ${Math.round(pick((sample) => sample.cpuMicrosecondsPerRequest))} | ${pick((sample) => sample.peakMb)} | ${pick((sample) => sample.afterLoadMb)} | ${of.map((sample) => sample.idleMb).join(' / ')} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

runMain(main);
