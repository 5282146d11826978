// @vitest-environment happy-dom
import type { MyUsageResponse } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../lib/i18n';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { UsagePage } from './Usage';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const usage = (environment: string, fields: Partial<MyUsageResponse> = {}): MyUsageResponse => ({
  environment,
  plan: { id: 'free', name: 'Free' },
  period: { kind: 'day', starts_at: '2026-12-03T00:00:00.000Z', resets_at: '2026-12-04T00:00:00.000Z' },
  requests: 12,
  prompt_tokens: 3000,
  completion_tokens: 1500,
  cost_usd: 1.25,
  budget_owner: 'user',
  models: [
    { model: 'smart', requests: 4, prompt_tokens: 2500, completion_tokens: 1000, cost_usd: 1 },
    { model: 'fast', requests: 8, prompt_tokens: 500, completion_tokens: 500, cost_usd: 0.25 },
  ],
  budgets: {
    tokens: { limit: 4500, used: 4500, remaining: 0 },
    spend_usd: { limit: 5, used: 1.25, remaining: 3.75 },
  },
  limits: {
    models: ['fast', 'smart'],
    apps: null,
    user_requests_per_minute: 12_000,
    key_requests_per_minute: null,
    ip_requests_per_minute: 20,
    images_per_day: 10,
    audio_minutes_per_day: 30,
  },
  ...fields,
});

let requested: string[];
let mounted: Mounted;

beforeEach(async () => {
  requested = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string) => {
      const url = new URL(input, 'http://localhost');
      requested.push(`${url.pathname}${url.search}`);
      const environment = url.searchParams.get('environment') ?? 'prod';
      const body =
        environment === 'dev'
          ? usage('dev', { budgets: { tokens: null, spend_usd: null }, models: [], requests: 0, cost_usd: 0 })
          : usage('prod');
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    }),
  );
});

afterEach(async () => {
  await mounted?.unmount();
  vi.unstubAllGlobals();
  await i18n.changeLanguage('en');
});

const waitFor = (check: () => unknown) =>
  until(() => {
    const result = check();
    if (!result) throw new Error('not there yet');
    return result;
  });

describe('the usage page', () => {
  it("shows this period's spend and tokens, each budget with what is left and when it resets, and usage per model", async () => {
    mounted = await mountWithQueryClient(<UsagePage />);
    const { container } = mounted;
    await waitFor(() => container.querySelector('[data-model="fast"]'));
    expect(requested).toEqual(['/v1/me/usage?environment=prod']);
    expect(container.querySelector('h2')?.textContent).toBe('Plan: Free');
    expect(container.querySelector('[data-total="tokens"]')?.textContent).toBe((4500).toLocaleString());
    expect(container.querySelector('[data-total="spend"]')?.textContent).toBe('$1.25');
    const tokens = container.querySelector('[data-budget="Token budget"]');
    expect(tokens?.textContent).toContain(`${(4500).toLocaleString()} of ${(4500).toLocaleString()} used · 0 left`);
    expect(tokens?.querySelector('[role="status"]')?.textContent).toMatch(
      /^Used up: requests are refused until .*2026/,
    );
    const spend = container.querySelector('[data-budget="Spend budget"]');
    expect(spend?.textContent).toContain('$1.25 of $5.00 used · $3.75 left');
    expect(spend?.querySelector('[role="status"]')).toBeNull();
    expect(container.textContent).toContain('Your chats and all your personal keys share this budget.');
    const cells = (model: string) =>
      [...(container.querySelector(`[data-model="${model}"]`)?.querySelectorAll('td') ?? [])].map(
        (cell) => cell.textContent,
      );
    expect(cells('smart')).toEqual(['smart', '4', (3500).toLocaleString(), '$1.00']);
    expect(cells('fast')).toEqual(['fast', '8', (1000).toLocaleString(), '$0.25']);
    expect(container.textContent).toContain('Models: fast, smart');
    expect(container.textContent).toContain('Requests per minute: 12,000');
  });

  it('switches environment, and says when the plan has no budget and nothing was used', async () => {
    mounted = await mountWithQueryClient(<UsagePage />);
    const { container } = mounted;
    await waitFor(() => container.querySelector('[data-model="fast"]'));
    const select = container.querySelector('select') as HTMLSelectElement;
    await act(async () => {
      Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value')?.set?.call(select, 'dev');
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitFor(() => container.textContent?.includes('Nothing used this period yet.'));
    expect(requested.at(-1)).toBe('/v1/me/usage?environment=dev');
    expect(container.textContent).toContain('Your plan has no token or spend budget.');
    expect(container.querySelector('[data-budget]')).toBeNull();
  });

  it('speaks Polish', async () => {
    await i18n.changeLanguage('pl');
    mounted = await mountWithQueryClient(<UsagePage />);
    const { container } = mounted;
    await waitFor(() => container.querySelector('[data-model="fast"]'));
    expect(container.querySelector('h1')?.textContent).toBe('Twoje użycie');
    // Money and numbers follow the language too: a decimal comma, the currency code after a no-break space.
    expect(container.querySelector('[data-budget="Budżet wydatków"]')?.textContent).toContain('zostało 3,75\u00a0USD');
    expect(container.querySelector('[data-total="spend"]')?.textContent).toBe('1,25\u00a0USD');
    expect(container.textContent).toContain('Zapytania na minutę: 12\u00a0000');
  });
});
