import type { ColdStartCase } from './measure-cold-start';
import type { ProfileSummary } from './profile';
import type { BenchResults, TargetResult } from './results';
import type { TargetName } from './targets';

export const columns: TargetName[] = [
  'direct',
  'floor',
  'switchyard-embedded',
  'switchyard-server',
  'switchyard-server-2-workers',
  'portkey',
];
const switchyardColumns: TargetName[] = ['switchyard-embedded', 'switchyard-server', 'switchyard-server-2-workers'];
const shortNames: Record<TargetName, string> = {
  direct: 'direct',
  floor: 'floor (node:http + undici)',
  'switchyard-embedded': 'Switchyard embedded',
  'switchyard-server': 'Switchyard server',
  'switchyard-server-2-workers': 'Switchyard server ×2 workers',
  portkey: 'Portkey 1.15.2',
};
const abbreviations: Record<TargetName, string> = {
  direct: 'dir',
  floor: 'flr',
  'switchyard-embedded': 'emb',
  'switchyard-server': 'srv',
  'switchyard-server-2-workers': 'srv×2',
  portkey: 'pk',
};

export interface Goal {
  text: string;
  kind: 'max' | 'min' | 'times-portkey';
  limit: number;
}

export interface MetricRow {
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  decimals: number;
  values: Partial<Record<TargetName, number | null>>;
  /** Compare Switchyard with Portkey / with direct in the ratio columns. */
  vsPortkey: boolean;
  vsDirect: boolean;
  goal?: Goal;
  met?: Partial<Record<TargetName, boolean>>;
}

type Pick = (target: TargetResult, results: BenchResults) => number | null | undefined;

function valuesOf(results: BenchResults, pick: Pick, only?: TargetName[]): Partial<Record<TargetName, number | null>> {
  const values: Partial<Record<TargetName, number | null>> = {};
  for (const name of columns) {
    const target = results.targets[name];
    if (!target || (only && !only.includes(name))) continue;
    const value = pick(target, results);
    values[name] = value === undefined || value === null || !Number.isFinite(value) ? null : value;
  }
  return values;
}

const direct = (results: BenchResults) => results.targets.direct;
const megabytes = (bytes: number | null | undefined) =>
  bytes === null || bytes === undefined ? null : bytes / 2 ** 20;
const gateways = columns.filter((name) => name !== 'direct');

/** A gateway's figure as a multiple of the floor's; null when either is missing or the floor's is not positive. */
export function floorMultiple(own: number | null | undefined, floor: number | null | undefined): number | null {
  if (own === null || own === undefined || floor === null || floor === undefined) return null;
  if (!Number.isFinite(own) || !Number.isFinite(floor) || floor <= 0) return null;
  return own / floor;
}

function coldStartValue(coldCase: ColdStartCase | null | undefined): number | null {
  return coldCase && Number.isFinite(coldCase.medianMs) ? coldCase.medianMs : null;
}

/** Every number in the summary table, derived from the raw measurements. */
export function buildTable(results: BenchResults): MetricRow[] {
  const rows: MetricRow[] = [];
  const add = (row: Omit<MetricRow, 'values'> & { pick: Pick; only?: TargetName[] }) => {
    const { pick, only, ...rest } = row;
    rows.push({ ...rest, values: valuesOf(results, pick, only) });
  };
  const latency = (target: TargetResult, key: 'p50' | 'p99') => target.latency?.latencyMicroseconds?.[key];
  const added = (target: TargetResult, results: BenchResults, key: 'p50' | 'p99') => {
    const base = direct(results);
    const own = latency(target, key);
    const reference = base ? latency(base, key) : undefined;
    return own === undefined || reference === undefined ? null : own - reference;
  };
  const ttft = (target: TargetResult, key: 'p50' | 'p99') => target.streaming?.ttftMicroseconds[key];
  const addedTtft = (target: TargetResult, results: BenchResults, key: 'p50' | 'p99') => {
    const base = direct(results);
    const own = ttft(target, key);
    const reference = base ? ttft(base, key) : undefined;
    return own === undefined || reference === undefined ? null : own - reference;
  };
  const throughput = (target: TargetResult, connections: number) =>
    target.throughput.find((run) => run.connections === connections)?.requestsPerSecond;

  add({
    metric: 'Latency at c=1, p50 (gateway + upstream)',
    unit: 'µs',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: true,
    pick: (target) => latency(target, 'p50'),
  });
  add({
    metric: 'Latency at c=1, p99',
    unit: 'µs',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: true,
    pick: (target) => latency(target, 'p99'),
  });
  add({
    metric: 'Added latency at c=1, p50 (minus direct)',
    unit: 'µs',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: false,
    goal: { text: '≤ 60 µs', kind: 'max', limit: 60 },
    only: gateways,
    pick: (target, all) => added(target, all, 'p50'),
  });
  add({
    metric: 'Added latency at c=1, p99 (minus direct)',
    unit: 'µs',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: false,
    goal: { text: '≤ 150 µs', kind: 'max', limit: 150 },
    only: gateways,
    pick: (target, all) => added(target, all, 'p99'),
  });
  for (const connections of results.settings.concurrencies) {
    add({
      metric: `Throughput at c=${connections}, non-streaming`,
      unit: 'req/s',
      better: 'higher',
      decimals: 0,
      vsPortkey: true,
      vsDirect: true,
      goal: { text: '≥ 10× Portkey', kind: 'times-portkey', limit: 10 },
      pick: (target) => throughput(target, connections),
    });
  }
  add({
    metric: `CPU time per request at c=${Math.min(...results.settings.concurrencies)} (gateway user+sys; direct: the fake upstream's)`,
    unit: 'µs',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: false,
    pick: (target) =>
      target.throughput.find((run) => run.connections === Math.min(...results.settings.concurrencies))
        ?.cpuMicrosecondsPerRequest,
  });
  add({
    metric: `CPU time per request at c=${Math.min(...results.settings.concurrencies)} as a multiple of the floor's (node:http + undici proxy)`,
    unit: '× floor',
    better: 'lower',
    decimals: 2,
    vsPortkey: false,
    vsDirect: false,
    goal: { text: '≤ 2× floor', kind: 'max', limit: 2 },
    only: [...switchyardColumns, 'portkey'],
    pick: (target, all) => {
      const lowest = Math.min(...all.settings.concurrencies);
      const cpu = (of: TargetResult | undefined) =>
        of?.throughput.find((run) => run.connections === lowest)?.cpuMicrosecondsPerRequest;
      return floorMultiple(cpu(target), cpu(all.targets.floor));
    },
  });
  add({
    metric: 'Failed requests during throughput runs (non-2xx + errors)',
    unit: 'count',
    better: 'lower',
    decimals: 0,
    vsPortkey: false,
    vsDirect: false,
    pick: (target) =>
      target.throughput.length ? target.throughput.reduce((sum, run) => sum + run.non2xx + run.errors, 0) : null,
  });
  add({
    metric: 'Streaming: time to first token, p50',
    unit: 'µs',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: true,
    pick: (target) => ttft(target, 'p50'),
  });
  add({
    metric: `Streaming: whole ${results.settings.streamingChunks}-chunk stream (chunks back to back), p50`,
    unit: 'µs',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: true,
    pick: (target) => target.streamingBurst?.totalMicroseconds.p50,
  });
  add({
    metric: 'Streaming: added time to first token, p99',
    unit: 'µs',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: false,
    goal: { text: '≤ 1000 µs', kind: 'max', limit: 1000 },
    only: gateways,
    pick: (target, all) => addedTtft(target, all, 'p99'),
  });
  add({
    metric: `Streaming: per-chunk overhead (Δ whole stream p50 ÷ ${results.settings.streamingChunks} chunks)`,
    unit: 'µs',
    better: 'lower',
    decimals: 1,
    vsPortkey: true,
    vsDirect: false,
    goal: { text: '≤ 20 µs', kind: 'max', limit: 20 },
    only: gateways,
    pick: (target, all) => {
      const base = direct(all)?.streamingBurst;
      const own = target.streamingBurst;
      if (!base || !own) return null;
      return (own.totalMicroseconds.p50 - base.totalMicroseconds.p50) / own.chunks;
    },
  });
  const cold = results.coldStart;
  if (cold) {
    rows.push({
      metric: 'Cold start to first healthy response: existing data dir / migrated databases (median)',
      unit: 'ms',
      better: 'lower',
      decimals: 0,
      vsPortkey: true,
      vsDirect: false,
      goal: { text: '≤ 1000 ms', kind: 'max', limit: 1000 },
      values: {
        'switchyard-embedded': coldStartValue(cold.embeddedExistingDataDir),
        'switchyard-server': coldStartValue(cold.serverExistingDatabases),
        portkey: coldStartValue(cold.portkey),
      },
    });
    rows.push({
      metric: 'Cold start: fresh data dir (PGlite template cached) / empty databases',
      unit: 'ms',
      better: 'lower',
      decimals: 0,
      vsPortkey: true,
      vsDirect: false,
      goal: { text: '≤ 1000 ms', kind: 'max', limit: 1000 },
      values: {
        'switchyard-embedded': coldStartValue(cold.embeddedFreshDataDir),
        'switchyard-server': coldStartValue(cold.serverFreshDatabases),
        portkey: coldStartValue(cold.portkey),
      },
    });
    rows.push({
      metric: 'Cold start: first ever on the machine (no PGlite template yet)',
      unit: 'ms',
      better: 'lower',
      decimals: 0,
      vsPortkey: true,
      vsDirect: false,
      values: { 'switchyard-embedded': coldStartValue(cold.embeddedFirstEver), portkey: coldStartValue(cold.portkey) },
    });
  }
  add({
    metric: 'Idle RSS (after start, before load)',
    unit: 'MB',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: false,
    goal: { text: '≤ 150 MB', kind: 'max', limit: 150 },
    only: gateways,
    pick: (target) => megabytes(target.idle?.rssBytes),
  });
  add({
    metric: 'Peak RSS during the throughput runs (sampled every 250 ms)',
    unit: 'MB',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: false,
    only: gateways,
    pick: (target) => {
      const samples = target.throughput.map((run) => run.rssDuringLoadBytes ?? 0);
      return samples.length ? megabytes(Math.max(...samples)) : null;
    },
  });
  add({
    metric: `RSS with open streams (up to ${results.settings.openStreams.toLocaleString('en-US')} per one-process target${
      results.settings.openStreamsMultiWorker
        ? `, ${results.settings.openStreamsMultiWorker.toLocaleString('en-US')} for the 2-worker server`
        : ''
    }, within the time limit; counts in details)`,
    unit: 'MB',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: false,
    only: gateways,
    pick: (target) => megabytes(target.openStreams?.rssOpenBytes),
  });
  add({
    metric: 'Memory per open stream',
    unit: 'KB',
    better: 'lower',
    decimals: 1,
    vsPortkey: true,
    vsDirect: false,
    only: gateways,
    pick: (target) => (target.openStreams ? target.openStreams.bytesPerStream / 1024 : null),
  });
  add({
    metric: 'RSS at 10,000 open streams (measured where 10,000 were held, else extrapolated linearly)',
    unit: 'MB',
    better: 'lower',
    decimals: 0,
    vsPortkey: true,
    vsDirect: false,
    only: gateways,
    pick: (target) => megabytes(target.openStreams?.rssAt10kBytes),
  });
  add({
    metric: 'Usage rows lost (after SIGTERM flush)',
    unit: 'rows',
    better: 'lower',
    decimals: 0,
    vsPortkey: false,
    vsDirect: false,
    goal: { text: '0', kind: 'max', limit: 0 },
    only: switchyardColumns,
    pick: (target) => target.usage?.lost,
  });
  add({
    metric: 'Requests forwarded upstream that left no usage row (client disconnected first)',
    unit: 'requests',
    better: 'lower',
    decimals: 0,
    vsPortkey: false,
    vsDirect: false,
    only: switchyardColumns,
    pick: (target) => target.usage?.withoutRow,
  });
  add({
    metric: 'Usage rows per INSERT, whole run',
    unit: 'rows',
    better: 'higher',
    decimals: 0,
    vsPortkey: false,
    vsDirect: false,
    goal: { text: '≥ 50', kind: 'min', limit: 50 },
    only: switchyardColumns,
    pick: (target) => target.usage?.rowsPerInsert,
  });
  add({
    metric: `Usage rows per INSERT during the c=${Math.max(...results.settings.concurrencies)} run`,
    unit: 'rows',
    better: 'higher',
    decimals: 0,
    vsPortkey: false,
    vsDirect: false,
    goal: { text: '≥ 50', kind: 'min', limit: 50 },
    only: switchyardColumns,
    pick: (target) => target.peakPhaseUsage?.rowsPerInsert,
  });
  add({
    metric: 'CPU used by other processes on the machine during the measurements (max over phases)',
    unit: 'cores',
    better: 'lower',
    decimals: 2,
    vsPortkey: false,
    vsDirect: false,
    pick: (target) => (target.noise.length ? Math.max(...target.noise.map((entry) => entry.foreignCores)) : null),
  });

  for (const row of rows) {
    if (!row.goal) continue;
    const met: Partial<Record<TargetName, boolean>> = {};
    for (const name of switchyardColumns) {
      const value = row.values[name];
      if (value === null || value === undefined) continue;
      if (row.goal.kind === 'max') met[name] = value <= row.goal.limit;
      else if (row.goal.kind === 'min') met[name] = value >= row.goal.limit;
      else {
        const portkey = row.values.portkey;
        if (portkey) met[name] = value / portkey >= row.goal.limit;
      }
    }
    row.met = met;
  }
  return rows;
}

function format(value: number | null | undefined, decimals: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function ratio(row: MetricRow, name: TargetName, against: TargetName): number | null {
  const own = row.values[name];
  const other = row.values[against];
  if (own === null || own === undefined || other === null || other === undefined) return null;
  if (row.better === 'higher') return other === 0 ? null : own / other;
  return own <= 0 ? null : other / own;
}

function ratioCell(row: MetricRow, present: TargetName[], against: TargetName): string {
  const parts: string[] = [];
  for (const name of present) {
    if (!switchyardColumns.includes(name)) continue;
    const value = ratio(row, name, against);
    if (value !== null) parts.push(`${abbreviations[name]} ${value >= 10 ? value.toFixed(0) : value.toFixed(2)}×`);
  }
  return parts.length ? parts.join(', ') : '—';
}

function metCell(row: MetricRow, present: TargetName[]): string {
  if (!row.goal || !row.met) return '';
  const parts = present
    .filter((name) => row.met?.[name] !== undefined)
    .map((name) => `${abbreviations[name]} ${row.met?.[name] ? '✅' : '❌'}`);
  return parts.join(' ');
}

/** A Markdown table: a header row, the separator, one line per row ("|" inside cells escaped). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)];
}

/** A details section: heading, optional explanation, table, blank line. */
function section(title: string, intro: string | null, header: readonly string[], rows: readonly string[][]): string[] {
  return [`### ${title}`, '', ...(intro ? [intro, ''] : []), ...markdownTable(header, rows), ''];
}

const mb = (bytes: number | null | undefined) => format(megabytes(bytes), 0);

/** The summary table in Markdown: one row per metric, one column per target, ratios, goal and verdict. */
export function renderTable(results: BenchResults, rows: MetricRow[]): string {
  const present = columns.filter(
    (name) => results.targets[name] || rows.some((row) => row.values[name] !== undefined && row.values[name] !== null),
  );
  const header = [
    'metric',
    'unit',
    ...present.map((name) => shortNames[name]),
    'Switchyard vs Portkey',
    'Switchyard vs direct',
    'target',
    'met?',
  ];
  const body = rows.map((row) => [
    row.metric,
    row.unit,
    ...present.map((name) => format(row.values[name], row.decimals)),
    row.vsPortkey ? ratioCell(row, present, 'portkey') : '',
    row.vsDirect ? ratioCell(row, present, 'direct') : '',
    row.goal?.text ?? '',
    metCell(row, present),
  ]);
  return markdownTable(header, body).join('\n');
}

function coldStartLines(results: BenchResults): string[] {
  const cold = results.coldStart;
  if (!cold) return [];
  const cases: [string, ColdStartCase | null][] = [
    ['Switchyard embedded, first ever (empty template cache)', cold.embeddedFirstEver],
    ['Switchyard embedded, fresh data dir (template cached)', cold.embeddedFreshDataDir],
    ['Switchyard embedded, existing data dir', cold.embeddedExistingDataDir],
    ['Switchyard server, empty databases (migrations run)', cold.serverFreshDatabases],
    ['Switchyard server, migrated databases', cold.serverExistingDatabases],
    ['Portkey', cold.portkey],
  ];
  return section(
    'Cold start',
    'Spawn to first `200` from `/health` (Portkey: `/`), and to the first `200` from `/ready` with the CPU (user + system) the process had used by then. `bootMs` is what Switchyard logs itself (runtime and app, after its modules are loaded), so the difference is Node start plus module loading.',
    [
      'case',
      'samples (ms)',
      'median (ms)',
      'to `/ready` (ms)',
      'CPU at `/ready` (s)',
      'Switchyard `bootMs`',
      'RSS at ready (MB)',
    ],
    cases.map(([label, coldCase]) =>
      coldCase
        ? [
            label,
            coldCase.samplesMs.map((value) => value.toFixed(0)).join(', '),
            format(coldCase.medianMs, 0),
            coldCase.readySamplesMs?.length ? coldCase.readySamplesMs.map((value) => value.toFixed(0)).join(', ') : '—',
            coldCase.cpuSecondsAtReady?.length
              ? coldCase.cpuSecondsAtReady.map((value) => value.toFixed(2)).join(', ')
              : '—',
            coldCase.bootMs.length ? coldCase.bootMs.join(', ') : '—',
            mb(coldCase.rssAtReadyBytes),
          ]
        : [label, 'not run', '', '', '', '', ''],
    ),
  );
}

function usageLines(results: BenchResults): string[] {
  const rows: string[][] = [];
  for (const name of switchyardColumns) {
    const target = results.targets[name];
    const usage = target?.usage;
    if (!target || !usage) continue;
    rows.push([
      shortNames[name],
      format(usage.completedByClients, 0),
      format(usage.countedByGateway, 0),
      format(usage.upstreamRequests, 0),
      format(usage.rows, 0),
      format(usage.insertStatements, 0),
      format(usage.rowsPerInsert, 1),
      format(usage.lost, 0),
      format(usage.withoutRow, 0),
      format(target.peakPhaseUsage?.rowsPerInsert, 1),
      format(usage.stopMs, 0),
    ]);
  }
  return section(
    'Usage logging',
    'Every chat request through Switchyard writes one row to `api_key_usage_log`. After the runs the gateway gets SIGTERM (which flushes), then the rows are counted in the prod database (PGlite opened by the bench after the server exited, or PostgreSQL). INSERT statements are counted exactly by a statement-level trigger the bench adds to its own database.',
    [
      'target',
      'completed (seen by clients)',
      'counted by the gateway',
      'served by the upstream',
      'rows',
      'INSERTs',
      'rows/INSERT',
      'lost',
      'upstream requests without a row',
      'rows/INSERT at peak',
      'SIGTERM to exit (ms)',
    ],
    rows,
  );
}

function openStreamLines(results: BenchResults): string[] {
  const rows: string[][] = [];
  for (const name of columns) {
    const open = results.targets[name]?.openStreams;
    if (!open) continue;
    rows.push([
      shortNames[name],
      String(open.requested),
      String(open.opened),
      open.stillOpen === undefined ? '—' : String(open.stillOpen),
      String(open.failed),
      String(open.upstreamOpen),
      open.clientProcesses === undefined ? '—' : String(open.clientProcesses),
      open.gatewaySockets?.length ? open.gatewaySockets.map((entry) => String(entry.sockets)).join(' + ') : '—',
      mb(open.rssBeforeBytes),
      mb(open.rssOpenBytes),
      mb(open.rssAfterCloseBytes),
      format(open.bytesPerStream / 1024, 1),
      format(open.openSeconds, 1),
      open.firstError ?? '',
    ]);
  }
  return section(
    'Open streams',
    '"opened": streams that received their first frame; "still open": of those, not ended or broken when the memory was read (each client process answers for its own); "upstream saw open": streams the fake upstream had open then; "gateway sockets": sockets per gateway process from `/proc/<pid>/fd` (a clustered server: primary + workers; ~2 per stream).',
    [
      'target',
      'requested',
      'opened',
      'still open',
      'failed',
      'upstream saw open',
      'client processes',
      'gateway sockets per process',
      'RSS before (MB)',
      'RSS open (MB)',
      'RSS after close (MB)',
      'KB/stream',
      'seconds to open',
      'first error',
    ],
    rows,
  );
}

function loadLines(results: BenchResults): string[] {
  const rows: string[][] = [];
  for (const name of columns) {
    const target = results.targets[name];
    if (!target) continue;
    const runs = [
      ...(target.latency
        ? [{ ...target.latency, connections: 1, rssDuringLoadBytes: null, cpuMicrosecondsPerRequest: null }]
        : []),
      ...target.throughput,
    ];
    for (const run of runs) {
      rows.push([
        shortNames[name],
        String(run.connections),
        format(run.requestsPerSecond, 0),
        format(run.responses, 0),
        String(run.non2xx),
        String(run.errors),
        `${run.latencyMilliseconds.p50} / ${run.latencyMilliseconds.p99}`,
        mb(run.rssDuringLoadBytes),
        format(run.cpuMicrosecondsPerRequest, 0),
      ]);
    }
  }
  return section(
    'Load runs (autocannon)',
    null,
    [
      'target',
      'connections',
      'req/s',
      'responses',
      'non-2xx',
      'errors',
      'autocannon p50 / p99 (ms)',
      'RSS during load (MB)',
      'CPU µs/request',
    ],
    rows,
  );
}

function noiseLines(results: BenchResults): string[] {
  const rows: string[][] = [];
  for (const name of columns) {
    for (const entry of results.targets[name]?.noise ?? []) {
      const busiest = entry.busiest[0];
      rows.push([
        shortNames[name],
        entry.phase,
        (entry.waitedForQuietMs / 1000).toFixed(1),
        entry.foreignCores.toFixed(2),
        busiest ? `\`${busiest.command.slice(0, 80)}\` (${busiest.cores})` : '',
      ]);
    }
  }
  return section(
    'Other load on the machine',
    'CPU used by processes outside the bench during each measurement (1.00 = one core). Before each one the bench waits (up to a limit) for less than 0.25 cores of other load.',
    ['target', 'phase', 'waited for quiet (s)', 'other processes (cores)', 'busiest other process'],
    rows,
  );
}

function profileLines(results: BenchResults): string[] {
  return results.profiles.flatMap((profile) => profileSection(profile));
}

function profileSection(profile: ProfileSummary): string[] {
  return [
    `### Where Switchyard spends its time (${profile.mode}, non-streaming, c=${profile.connections}, ${profile.durationSeconds} s under \`node --cpu-prof\`)`,
    '',
    `${format(profile.requestsPerSecond, 0)} req/s while profiled; main thread busy ${profile.busyPercent}% of ${profile.samples} samples. Self time as a share of busy samples:`,
    '',
    ...markdownTable(
      ['function', 'where', 'self %'],
      profile.topFunctions.map((entry) => [`\`${entry.name}\``, entry.where, String(entry.selfPercent)]),
    ),
    '',
    'Inclusive time (the function and everything it calls), scheduler frames left out:',
    '',
    ...markdownTable(
      ['function', 'where', 'inclusive %'],
      profile.topInclusive.map((entry) => [`\`${entry.name}\``, entry.where, String(entry.selfPercent)]),
    ),
    '',
    ...markdownTable(
      ['package', 'self %'],
      profile.byPackage.map((entry) => [entry.name, String(entry.selfPercent)]),
    ),
    '',
  ];
}

export function machineLine(results: BenchResults): string {
  const machine = results.machine;
  return `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, Node ${machine.node}, Linux ${machine.kernel}, PostgreSQL ${
    machine.postgres ?? 'n/a'
  }, Redis ${machine.redis ?? 'n/a'}, open-files limit ${machine.openFilesLimit}; Switchyard at ${machine.revision ?? 'unknown revision'}`;
}

export function renderMarkdown(results: BenchResults, rows: MetricRow[], chartFile: string): string {
  const settings = results.settings;
  return [
    `# Switchyard benchmark — ${results.date} (${results.name}${results.quick ? ', quick' : ''})`,
    '',
    `Machine: ${machineLine(results)}.`,
    '',
    `Each load run: ${settings.durationSeconds} s after a ${settings.warmupSeconds} s warm-up; streaming at c=1: ${settings.streamingRequests} streams of ${settings.pacedChunks} chunks ${settings.pacedDelayMs} ms apart (time to first token) and ${settings.streamingRequests} of ${settings.streamingChunks} chunks back to back (per-chunk overhead); open streams: ${settings.openStreams.toLocaleString('en-US')}${
      settings.openStreamsMultiWorker
        ? ` per one-process target and ${settings.openStreamsMultiWorker.toLocaleString('en-US')} for the 2-worker server`
        : ''
    }${
      settings.openStreams < settings.openStreamsRequested
        ? ` (of ${settings.openStreamsRequested.toLocaleString('en-US')} asked: the open-files limit allows ~limit/2 per gateway, which holds a client and an upstream socket per stream)`
        : ''
    }; cold starts ×${settings.coldStartRepetitions}. The load generator, the gateway and the fake upstream share the same ${results.machine.cores} cores.`,
    '',
    `![chart](${chartFile})`,
    '',
    'Ratios read "how many times better": for req/s Switchyard ÷ other, for times and memory other ÷ Switchyard. emb = embedded, srv = server mode.',
    '',
    renderTable(results, rows),
    '',
    ...(results.notes.length ? ['Notes:', '', ...results.notes.map((note) => `- ${note}`), ''] : []),
    '## Details',
    '',
    ...loadLines(results),
    ...coldStartLines(results),
    ...openStreamLines(results),
    ...usageLines(results),
    ...profileLines(results),
    ...noiseLines(results),
  ].join('\n');
}
