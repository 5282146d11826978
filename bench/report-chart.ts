import { drawChart, type Panel } from './chart';
import { columns, type MetricRow } from './report';
import type { BenchResults } from './results';
import type { TargetName } from './targets';

const labels: Record<TargetName, string> = {
  direct: 'direct',
  floor: 'floor',
  'switchyard-embedded': 'SY emb',
  'switchyard-server': 'SY srv',
  'switchyard-server-2-workers': 'SY srv x2',
  portkey: 'Portkey',
};

function row(rows: MetricRow[], prefix: string): MetricRow | undefined {
  return rows.find((candidate) => candidate.metric.startsWith(prefix));
}

function groups(results: BenchResults, series: Array<MetricRow | undefined>, includeDirect: boolean) {
  return columns
    .filter((name) => results.targets[name] && (includeDirect || name !== 'direct'))
    .map((name) => ({
      label: labels[name],
      values: series.map((metric) => metric?.values[name] ?? null),
    }));
}

function footnote(results: BenchResults): string {
  const machine = results.machine;
  return `${machine.cores} CORES SHARED BY LOAD GENERATOR, GATEWAY AND FAKE UPSTREAM. NODE ${machine.node}, POSTGRESQL ${
    machine.postgres?.split(' ')[0] ?? 'N/A'
  }, REDIS ${machine.redis ?? 'N/A'}, SWITCHYARD ${machine.revision ?? '?'}`;
}

/** Six panels: throughput, added latency, streaming, per-chunk, memory, cold start. */
export async function writeChart(path: string, results: BenchResults, rows: MetricRow[]): Promise<void> {
  const concurrencies = results.settings.concurrencies;
  const coldColumns: TargetName[] = ['switchyard-embedded', 'switchyard-server', 'portkey'];
  const coldExisting = row(rows, 'Cold start to first healthy');
  const coldFresh = row(rows, 'Cold start: fresh');
  const panels: Panel[] = [
    {
      title: 'THROUGHPUT, REQ/S (HIGHER IS BETTER)',
      series: concurrencies.map((connections) => `C=${connections}`),
      groups: groups(
        results,
        concurrencies.map((connections) => row(rows, `Throughput at c=${connections},`)),
        true,
      ),
    },
    {
      title: 'ADDED LATENCY AT C=1, US',
      series: ['P50', 'P99'],
      groups: groups(results, [row(rows, 'Added latency at c=1, p50'), row(rows, 'Added latency at c=1, p99')], false),
      limits: [
        { value: 60, label: 'TARGET P50 60' },
        { value: 150, label: 'TARGET P99 150' },
      ],
    },
    {
      title: 'STREAMING: ADDED TTFT P99, US',
      series: ['ADDED TTFT P99'],
      groups: groups(results, [row(rows, 'Streaming: added time')], false),
      limits: [{ value: 1000, label: 'TARGET 1000' }],
    },
    {
      title: 'STREAMING: OVERHEAD PER CHUNK, US',
      series: ['PER CHUNK'],
      groups: groups(results, [row(rows, 'Streaming: per-chunk')], false),
      limits: [{ value: 20, label: 'TARGET 20' }],
    },
    {
      title: 'MEMORY, MB',
      series: ['IDLE RSS', 'PEAK RSS', 'OPEN STREAMS'],
      groups: groups(results, [row(rows, 'Idle RSS'), row(rows, 'Peak RSS'), row(rows, 'RSS with')], false),
      limits: [{ value: 150, label: 'IDLE TARGET 150' }],
    },
    {
      title: 'COLD START TO HEALTHY, MS',
      series: ['EXISTING DATA', 'FRESH DATA'],
      groups: coldColumns
        .filter((name) => results.targets[name] || name !== 'switchyard-server')
        .map((name) => ({
          label: labels[name],
          values: [coldExisting?.values[name] ?? null, coldFresh?.values[name] ?? null],
        })),
      limits: [{ value: 1000, label: 'TARGET 1000' }],
    },
  ];
  await drawChart(
    path,
    `SWITCHYARD VS PORTKEY VS DIRECT - ${results.date}${results.quick ? ' (QUICK)' : ''}`,
    footnote(results),
    panels,
  );
}
