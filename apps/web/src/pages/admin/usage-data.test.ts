import { describe, expect, it } from 'vitest';
import { niceMaximum } from './TimeChart';
import { fillSlots, healthOf, rangeStart, usageRanges } from './usage-data';

const stats = {
  requests: 2,
  tokens: 30,
  prompt_tokens: 10,
  completion_tokens: 20,
  errors: 1,
  server_errors: 0,
  error_rate: 0.5,
  latency_p50_ms: 4,
  latency_p95_ms: 9,
  latency_p99_ms: 9.8,
  cost_usd: 0.5,
};

describe('usage dashboard data', () => {
  it('starts ranges on whole minutes and hours with the current slot last', () => {
    const now = Date.UTC(2026, 10, 22, 10, 42, 31);
    const hour = usageRanges.find((range) => range.id === '1h');
    const day = usageRanges.find((range) => range.id === '24h');
    if (!hour || !day) throw new Error('ranges missing');
    expect(new Date(rangeStart(hour, now)).toISOString()).toBe('2026-11-22T09:43:00.000Z');
    expect(new Date(rangeStart(day, now)).toISOString()).toBe('2026-11-21T11:00:00.000Z');
  });

  it('fills every slot, zero and without latency where the server had no bucket', () => {
    const since = Date.UTC(2026, 10, 22, 10, 0);
    const slots = fillSlots([{ start: '2026-11-22T10:02:00.000Z', ...stats }], since, 60_000, 4);
    expect(slots.map((slot) => slot.requests)).toEqual([0, 0, 2, 0]);
    expect(slots[2]).toMatchObject({ prompt_tokens: 10, completion_tokens: 20, latency_p99_ms: 9.8 });
    expect(slots[0]).toMatchObject({ latency_p50_ms: null, error_rate: 0 });
    expect(slots[3]?.start).toBe(since + 3 * 60_000);
  });

  it('judges providers on their share of server errors', () => {
    expect(healthOf({ requests: 0, server_errors: 0 })).toBe('idle');
    expect(healthOf({ requests: 100, server_errors: 4 })).toBe('healthy');
    expect(healthOf({ requests: 100, server_errors: 5 })).toBe('degraded');
    expect(healthOf({ requests: 4, server_errors: 2 })).toBe('failing');
  });

  it('rounds chart axes up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMaximum(0)).toBe(1);
    expect(niceMaximum(3)).toBe(5);
    expect(niceMaximum(17)).toBe(20);
    expect(niceMaximum(0.3)).toBe(0.5);
    expect(niceMaximum(501)).toBe(1000);
  });
});
