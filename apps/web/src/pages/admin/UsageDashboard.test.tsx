// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../../lib/i18n';
import { type Mounted, mountWithQueryClient } from '../../testing/mount';
import { until } from '../../testing/until';
import { UsageDashboard } from './UsageDashboard';
import { formatFigure, formatSlot } from './usage-data';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const stats = {
  requests: 4,
  tokens: 24_690,
  prompt_tokens: 12_345,
  completion_tokens: 12_345,
  errors: 1,
  server_errors: 0,
  error_rate: 0.125,
  latency_p50_ms: 12_345.6,
  latency_p95_ms: 20_000,
  latency_p99_ms: 25_000,
  cost_usd: 12_345.6,
};

let mounted: Mounted | undefined;

beforeEach(() => {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => {
      const body = {
        environment: 'prod',
        since: new Date().toISOString(),
        bucket: 'minute',
        model: null,
        buckets: [{ start: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(), ...stats }],
        models: [{ model: 'smart', provider: 'ollama', ...stats }],
        providers: [],
        totals: stats,
      };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    }),
  );
});

afterEach(async () => {
  await mounted?.unmount();
  mounted = undefined;
  vi.unstubAllGlobals();
  await i18n.changeLanguage('en');
});

const totalsOf = async () => {
  const { container } = mounted as Mounted;
  const totals = await until(() => {
    const found = container.querySelector('[data-testid="usage-totals"]');
    if (!found) throw new Error('no totals yet');
    return found;
  });
  return Object.fromEntries(
    [...totals.querySelectorAll('div')].map((entry) => [
      entry.querySelector('dt')?.textContent ?? '',
      entry.querySelector('dd')?.textContent ?? '',
    ]),
  ) as Record<string, string>;
};

describe('usage dashboard formats', () => {
  it('writes numbers, money and percentages the English way in English', async () => {
    mounted = await mountWithQueryClient(<UsageDashboard />);
    const totals = await totalsOf();
    expect(totals['Prompt tokens']).toBe('12,345');
    expect(totals['Spend (USD)']).toBe('$12,345.6000');
    expect(totals['Error rate']).toBe('12.5% (1)');
  });

  it('follows the language: Polish groups thousands with a no-break space and uses a decimal comma', async () => {
    await i18n.changeLanguage('pl');
    expect(formatFigure(12_345.6, 1)).toBe('12\u00a0345,6');
    mounted = await mountWithQueryClient(<UsageDashboard />);
    const totals = await totalsOf();
    expect(totals['Tokeny promptu']).toBe('12\u00a0345');
    expect(totals['Koszt (USD)']).toBe('12\u00a0345,6000\u00a0USD');
    expect(totals['Odsetek błędów']).toBe('12,5% (1)');
    expect(Object.values(totals).some((value) => value.startsWith('12\u00a0346 ms'))).toBe(true);
    // Slot labels too: a day and month in Polish, a 24-hour clock.
    const label = formatSlot(Date.UTC(2026, 11, 3, 14, 5), 'hour');
    expect(label).toMatch(/gru/);
    expect(label).toMatch(/\d{2}:05/);
    // The per-model table.
    const cells = [...(mounted as Mounted).container.querySelectorAll('table:not(.sr-only) tbody td')].map(
      (cell) => cell.textContent,
    );
    expect(cells.slice(0, 5)).toEqual(['smart', '4', '12\u00a0345', '12\u00a0345', '12\u00a0345,6000\u00a0USD']);
  });
});
