import { describe, expect, it } from 'vitest';
import {
  admittedPerWindow,
  countOutcomes,
  megabytesPerHour,
  parseFaultArgs,
  scenarioNames,
  slope,
  verdictLine,
} from './verdict';

describe('parseFaultArgs', () => {
  it('runs every scenario at full size by default', () => {
    const options = parseFaultArgs([]);
    expect(options.only).toEqual([...scenarioNames]);
    expect(options).toMatchObject({ quick: false, soakMinutes: 10, jobs: 10_000, record: true });
  });

  it('selects scenarios in battery order, skips some and shrinks for --quick', () => {
    const options = parseFaultArgs(['--only', 'soak,jobs-sigkill', '--only=rate-limit', '--skip', 'soak', '--quick']);
    expect(options.only).toEqual(['rate-limit', 'jobs-sigkill']);
    expect(options).toMatchObject({ quick: true, soakMinutes: 1, jobs: 1000 });
    expect(parseFaultArgs(['--quick', '--soak-minutes', '3', '--jobs=200']).soakMinutes).toBe(3);
  });

  it('refuses unknown scenarios and flags', () => {
    expect(() => parseFaultArgs(['--only', 'jobs'])).toThrow(/unknown scenario 'jobs'/);
    expect(() => parseFaultArgs(['--fast'])).toThrow(/unknown argument/);
    expect(() => parseFaultArgs(['--soak-minutes', '0'])).toThrow(/positive/);
  });
});

describe('admittedPerWindow', () => {
  const at = (bucket: string, status: number, receivedAt: number, resetSeconds: number) => ({
    bucket,
    status,
    receivedAt,
    resetSeconds,
  });

  it('puts answers of one window together although their estimated ends differ by latency', () => {
    const windows = admittedPerWindow([
      at('a', 200, 1_000_000, 60),
      at('a', 200, 1_003_400, 57), // answered 3.4 s later, the server said 57 s left
      at('a', 200, 1_009_000, 50), // a slow answer: estimated end 2 s off
      at('a', 429, 1_010_000, 50),
      at('b', 200, 1_000_000, 60),
    ]);
    expect([...windows.values()]).toEqual([3, 1]);
  });

  it('counts the next window of a bucket apart', () => {
    const windows = admittedPerWindow([at('a', 200, 1_000_000, 60), at('a', 200, 1_061_000, 60)]);
    expect(windows.size).toBe(2);
  });
});

describe('slopes', () => {
  it('fits the least-squares slope and converts bytes per second to MB per hour', () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2);
    expect(slope([{ x: 1, y: 1 }])).toBe(0);
    const oneMegabytePerHour = Array.from({ length: 10 }, (_, index) => ({
      seconds: index * 360,
      bytes: 100 * 2 ** 20 + (index * 2 ** 20) / 10,
    }));
    expect(megabytesPerHour(oneMegabytePerHour)).toBeCloseTo(1);
  });
});

describe('countOutcomes and verdictLine', () => {
  it('tells clear errors (status and code) from unclear ones', () => {
    const counts = countOutcomes([
      { status: 200, failure: null, code: '' },
      { status: 503, failure: null, code: 'SY_ERR_DEPENDENCY_UNAVAILABLE' },
      { status: 500, failure: null, code: '' },
      { status: 0, failure: 'reset', code: '' },
    ]);
    expect(counts).toEqual({
      total: 4,
      ok: 1,
      clear: { '503 SY_ERR_DEPENDENCY_UNAVAILABLE': 1 },
      unclear: { '500': 1, reset: 1 },
    });
  });

  it('prints PASS or FAIL with the figures and the reasons', () => {
    const line = verdictLine({
      name: 'image-quota',
      pass: false,
      figures: { quota: 10, accepted: 11, ratio: 0.5 },
      failures: ['11 requests were accepted for a quota of 10'],
      notes: [],
      seconds: 12.3,
    });
    expect(line).toMatch(/^FAIL image-quota\s+quota=10 accepted=11 ratio=0\.50 \(12 s\)\s+✗ 11 requests/);
  });
});
