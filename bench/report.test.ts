import { describe, expect, it } from 'vitest';
import { buildTable, floorMultiple, renderTable } from './report';
import { type BenchResults, emptyTargetResult, type TargetResult } from './results';
import type { TargetName } from './targets';

function target(name: TargetName, cpuMicrosecondsPerRequest: number | null): TargetResult {
  return {
    ...emptyTargetResult(name, name, null),
    throughput: [
      {
        connections: 64,
        cpuMicrosecondsPerRequest,
        rssDuringLoadBytes: null,
        warmupOk: 0,
        durationSeconds: 3,
        responses: 100,
        ok: 100,
        requestsPerSecond: 33,
        non2xx: 0,
        errors: 0,
        timeouts: 0,
        statusCodes: { '200': 100 },
        latencyMilliseconds: { p50: 1, p99: 2, mean: 1 },
      },
    ],
  };
}

function results(targets: Partial<Record<TargetName, TargetResult>>): BenchResults {
  return {
    name: 'test',
    date: '2026-12-04',
    startedAt: '',
    finishedAt: '',
    quick: true,
    machine: {
      cores: 2,
      cpuModel: 'cpu',
      memoryGiB: 8,
      node: 'v22',
      kernel: '6',
      openFilesLimit: 20_000,
      postgres: null,
      redis: null,
      revision: null,
    },
    settings: {
      durationSeconds: 3,
      warmupSeconds: 1,
      concurrencies: [64, 256],
      streamingRequests: 100,
      pacedChunks: 5,
      pacedDelayMs: 2,
      streamingChunks: 100,
      openStreams: 500,
      openStreamsRequested: 500,
      openStreamsMultiWorker: 10_000,
      openFilesLimit: 20_000,
      coldStartRepetitions: 1,
      profileSeconds: 3,
    },
    workersSupported: true,
    notes: [],
    targets,
    coldStart: null,
    profiles: [],
  };
}

const multipleRow = (rows: ReturnType<typeof buildTable>) => rows.find((row) => row.unit === '× floor');

describe('the floor multiple', () => {
  it('divides by the floor, and gives nothing without a usable floor', () => {
    expect(floorMultiple(300, 150)).toBe(2);
    expect(floorMultiple(300, 0)).toBeNull();
    expect(floorMultiple(300, null)).toBeNull();
    expect(floorMultiple(undefined, 150)).toBeNull();
    expect(floorMultiple(Number.NaN, 150)).toBeNull();
  });

  it('reports Switchyard CPU per request as a multiple of the floor, met at ≤ 2×', () => {
    const run = results({
      direct: target('direct', 40),
      floor: target('floor', 100),
      'switchyard-embedded': target('switchyard-embedded', 250),
      'switchyard-server-2-workers': target('switchyard-server-2-workers', 180),
    });
    const rows = buildTable(run);
    const row = multipleRow(rows);
    expect(row?.values['switchyard-embedded']).toBeCloseTo(2.5);
    expect(row?.values['switchyard-server-2-workers']).toBeCloseTo(1.8);
    expect(row?.values.floor).toBeUndefined();
    expect(row?.met).toEqual({ 'switchyard-embedded': false, 'switchyard-server-2-workers': true });
    const cpuRow = rows.find((candidate) => candidate.metric.startsWith('CPU time per request at c=64 (gateway'));
    expect(cpuRow?.values.floor).toBe(100);
    const line = renderTable(run, rows)
      .split('\n')
      .find((text) => text.includes('× floor'));
    expect(line).toContain('| 2.50 |');
    expect(line).toContain('emb ❌ srv×2 ✅');
  });

  it('leaves the multiple empty when the floor did not run', () => {
    const rows = buildTable(results({ 'switchyard-embedded': target('switchyard-embedded', 250) }));
    expect(multipleRow(rows)?.values['switchyard-embedded']).toBeNull();
    expect(multipleRow(rows)?.met).toEqual({});
  });
});
