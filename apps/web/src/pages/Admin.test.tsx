// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { AdminPage } from './Admin';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const stats = (requests: number) => ({
  requests,
  tokens: requests * 30,
  prompt_tokens: requests * 10,
  completion_tokens: requests * 20,
  errors: 0,
  server_errors: 0,
  error_rate: 0,
  latency_p50_ms: 5,
  latency_p95_ms: 12.5,
  latency_p99_ms: 14,
});

let requests: Array<{ method: string; url: URL; body: unknown }>;
let settingValue: number;

function route(method: string, url: URL, body: unknown): Response {
  const path = url.pathname;
  if (path === '/v1/admin/usage') {
    const since = url.searchParams.get('since') ?? new Date().toISOString();
    const model = url.searchParams.get('model');
    const count = model === 'echo' ? 2 : 3;
    return json(200, {
      environment: url.searchParams.get('environment') ?? 'prod',
      since,
      bucket: url.searchParams.get('bucket'),
      model,
      buckets: [{ start: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(), ...stats(count) }],
      models: [
        { model: 'echo', provider: 'echo', ...stats(2) },
        { model: 'smart', provider: 'ollama', ...stats(1) },
      ],
      providers: [{ provider: 'echo', models: ['echo'], ...stats(2) }],
      totals: stats(count),
    });
  }
  if (path === '/v1/admin/keys' && method === 'GET') {
    return json(200, {
      keys: [
        {
          id: 'k1',
          name: 'ci key',
          prefix: 'dev_ab12',
          environment: 'dev',
          admin: false,
          scopes: ['chat'],
          userId: null,
          createdAt: '2026-11-22T10:00:00.000Z',
          revokedAt: null,
        },
      ],
    });
  }
  if (path === '/v1/admin/keys' && method === 'POST') {
    const { name, environment } = body as { name: string; environment: string };
    return json(201, {
      key: `${environment}_secretsecret`,
      record: { id: 'k2', name, environment, prefix: `${environment}_se`, admin: false, scopes: ['chat'] },
    });
  }
  if (path.startsWith('/v1/admin/keys/') && method === 'DELETE') return json(200, { id: 'k1' });
  if (path === '/v1/admin/settings') {
    return json(200, {
      settings: [
        {
          key: 'rate_limit.chat.dev',
          value: settingValue,
          type: 'integer',
          description: 'Chat requests per minute per dev key',
          default: 60,
          minimum: 0,
          maximum: 10_000_000,
          updatedAt: null,
        },
      ],
    });
  }
  if (path === '/v1/admin/settings/rate_limit.chat.dev') {
    const value = (body as { value: unknown }).value;
    if (typeof value !== 'number' || value < 0) {
      return json(400, {
        error: { code: 'SY_ERR_VALIDATION', message: "Setting 'rate_limit.chat.dev' must be between 0 and 10000000" },
      });
    }
    settingValue = value;
    return json(200, { key: 'rate_limit.chat.dev', value, type: 'integer', description: '', default: 60 });
  }
  if (path === '/v1/admin/jobs') {
    return json(200, {
      backend: 'embedded',
      waiting: 1,
      delayed: 0,
      active: 0,
      completed: 5,
      dead: 1,
      byName: { 'document.extract': { waiting: 1, delayed: 0, active: 0, completed: 5, dead: 1 } },
      rates: { completedPerMinute: 2, deadPerMinute: 0 },
      workers: [],
    });
  }
  if (path === '/v1/admin/jobs/dead') {
    // Like the server: query strings are not coerced, so a numeric limit would be refused.
    if (url.searchParams.has('limit')) {
      return json(400, { error: { code: 'SY_ERR_VALIDATION', message: 'querystring.limit must be integer' } });
    }
    return json(200, {
      jobs: [
        {
          id: 'job_9',
          name: 'document.extract',
          environment: 'prod',
          attempts: 5,
          max_attempts: 5,
          // The server sends the error as { message, code } (the web once rendered the object itself).
          last_error: { message: 'storage unavailable', code: 'SY_ERR_STORAGE_UNAVAILABLE' },
          payload: { documentId: 'file_1' },
          created_at: '2026-11-22T10:00:00.000Z',
          updated_at: '2026-11-22T10:05:00.000Z',
          finished_at: '2026-11-22T10:05:00.000Z',
        },
      ],
    });
  }
  if (path === '/v1/admin/jobs/job_9/replay') return json(200, { id: 'job_9', status: 'waiting' });
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: `no route ${method} ${path}` } });
}

let container: HTMLDivElement;
let mounted: Mounted;

beforeEach(async () => {
  requests = [];
  settingValue = 60;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const url = new URL(input, 'http://localhost');
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      requests.push({ method, url, body });
      return route(method, url, body);
    }),
  );
  mounted = await mountWithQueryClient(<AdminPage />);
  ({ container } = mounted);
});

afterEach(async () => {
  await mounted.unmount();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Waits until `check` returns something (not false, null or undefined) and returns it. */
const waitFor = (check: () => unknown) =>
  until(() => {
    const result = check();
    if (result === false || result === null || result === undefined) throw new Error('not there yet');
    return result;
  });

/** The control named by aria-label, or the one inside a <label> that starts with this text. */
function byLabel<T extends Element>(label: string): T | null {
  const labelled = container.querySelector(`[aria-label="${label}"]`);
  if (labelled) return labelled as unknown as T;
  const wrapper = [...container.querySelectorAll('label')].find((element) =>
    element.firstChild?.textContent?.trim().startsWith(label),
  );
  return (wrapper?.querySelector('input, select, textarea') as unknown as T | undefined) ?? null;
}
const buttonNamed = (name: string) =>
  [...container.querySelectorAll('button')].find(
    (element) => (element.getAttribute('aria-label') ?? element.textContent?.trim()) === name,
  );
const tab = (name: string) =>
  [...container.querySelectorAll('[role="tab"]')].find((element) => element.textContent === name) as HTMLElement;

async function choose(select: HTMLSelectElement, value: string) {
  await act(async () => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

async function type(input: HTMLInputElement, value: string) {
  await act(async () => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

const usageCalls = () => requests.filter((entry) => entry.url.pathname === '/v1/admin/usage');

describe('admin console', () => {
  it('shows usage totals, four labelled charts with data tables, and the per-model table', async () => {
    await waitFor(() => container.querySelector('[data-testid="usage-totals"]'));
    const totals = container.querySelector('[data-testid="usage-totals"]')?.textContent ?? '';
    expect(totals).toMatch(/Requests3/);
    expect(totals).toContain('Prompt tokens30');
    expect(totals).toContain('5 ms / 13 ms / 14 ms');

    const charts = [...container.querySelectorAll('svg[role="img"]')];
    const titles = charts.map((chart) =>
      (chart.getAttribute('aria-labelledby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent)
        .join(' | '),
    );
    expect(titles).toHaveLength(4);
    expect(titles[0]).toMatch(/^Requests per minute \| 3 requests \(prod, last hour, per minute\)/);
    expect(titles[1]).toContain('Tokens per minute | 30 prompt and 60 completion tokens');
    expect(titles[2]).toContain('Error rate per minute');
    expect(titles[3]).toContain('p50 5 ms, p95 13 ms, p99 14 ms');

    // The visually hidden table lists the slot that had requests, with each series' value.
    const latencyTable = container.querySelectorAll('table.sr-only')[3];
    const header = [...(latencyTable?.querySelectorAll('thead th') ?? [])].map((cell) => cell.textContent);
    expect(header).toEqual(['Time', 'p50', 'p95', 'p99']);
    const cells = [...(latencyTable?.querySelectorAll('tbody td') ?? [])].map((cell) => cell.textContent);
    expect(cells).toEqual(['5', '13', '14']);

    const modelCells = [...container.querySelectorAll('table:not(.sr-only) tbody tr')].map(
      (row) => row.querySelector('td')?.textContent,
    );
    expect(modelCells).toEqual(['echo', 'smart']);
  });

  it('filters by model and environment and refreshes by itself every 10 s', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    await waitFor(() => container.querySelector('[data-testid="usage-totals"]'));
    const first = usageCalls().at(-1)?.url;
    expect(first?.searchParams.get('environment')).toBe('prod');
    expect(first?.searchParams.get('bucket')).toBe('minute');
    expect(first?.searchParams.has('model')).toBe(false);

    const model = byLabel<HTMLSelectElement>('Model') as HTMLSelectElement;
    expect([...model.options].map((option) => option.value)).toEqual(['', 'echo', 'smart']);
    await choose(model, 'echo');
    await waitFor(() => usageCalls().at(-1)?.url.searchParams.get('model') === 'echo');
    await waitFor(() => container.querySelector('[data-testid="usage-totals"]')?.textContent?.includes('Requests2'));

    await choose(byLabel<HTMLSelectElement>('Environment') as HTMLSelectElement, 'dev');
    await waitFor(() => usageCalls().at(-1)?.url.searchParams.get('environment') === 'dev');
    expect(usageCalls().at(-1)?.url.searchParams.get('model')).toBe('echo');

    await choose(byLabel<HTMLSelectElement>('Time range') as HTMLSelectElement, '24h');
    await waitFor(() => usageCalls().at(-1)?.url.searchParams.get('bucket') === 'hour');

    const before = usageCalls().length;
    await act(async () => void (await vi.advanceTimersByTimeAsync(10_000)));
    await waitFor(() => usageCalls().length === before + 1);
  });

  it('moves between tabs with the arrow keys', async () => {
    expect(tab('Usage').getAttribute('aria-selected')).toBe('true');
    await act(async () =>
      tab('Usage').dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true })),
    );
    expect(tab('Keys').getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(tab('Keys'));
    expect(tab('Usage').tabIndex).toBe(-1);
    const panel = container.querySelector('[role="tabpanel"]');
    expect(panel?.getAttribute('aria-labelledby')).toBe('admin-tab-Keys');
  });

  it('creates a key shown once, and revokes only after confirmation', async () => {
    await act(async () => tab('Keys').click());
    await waitFor(() => [...container.querySelectorAll('td')].some((cell) => cell.textContent === 'ci key'));
    await type(byLabel<HTMLInputElement>('Key name') as HTMLInputElement, 'new key');
    await choose(byLabel<HTMLSelectElement>('Key environment') as HTMLSelectElement, 'prod');
    await act(async () => buttonNamed('Create key')?.click());
    await waitFor(() => container.querySelector('[data-testid="new-key"]'));
    expect(container.querySelector('[data-testid="new-key"]')?.textContent).toBe('prod_secretsecret');
    expect(requests.find((entry) => entry.method === 'POST')?.body).toEqual({ name: 'new key', environment: 'prod' });
    await act(async () => buttonNamed('Done')?.click());
    expect(container.querySelector('[data-testid="new-key"]')).toBeNull();

    await act(async () => buttonNamed('Revoke ci key')?.click());
    expect(requests.some((entry) => entry.method === 'DELETE')).toBe(false);
    await act(async () => buttonNamed('Confirm revoking ci key')?.click());
    await waitFor(() => requests.find((entry) => entry.method === 'DELETE'));
    expect(requests.find((entry) => entry.method === 'DELETE')?.url.pathname).toBe('/v1/admin/keys/k1');
  });

  it('shows the server validation message for a setting and Saved for a good value', async () => {
    await act(async () => tab('Settings').click());
    const input = (await waitFor(() => byLabel<HTMLInputElement>('rate_limit.chat.dev'))) as HTMLInputElement;
    expect(container.textContent).toContain('Default 60; 0 to 10,000,000.');
    await type(input, '-5');
    await act(async () => buttonNamed('Save rate_limit.chat.dev')?.click());
    const alert = (await waitFor(() => container.querySelector('[role="alert"]'))) as HTMLElement;
    expect(alert.textContent).toContain('Invalid input');
    expect(alert.textContent).toContain('must be between 0 and 10000000');
    expect(input.getAttribute('aria-invalid')).toBe('true');

    await type(input, '30');
    expect(container.querySelector('[role="alert"]')).toBeNull();
    await act(async () => buttonNamed('Save rate_limit.chat.dev')?.click());
    await waitFor(() => container.querySelector('[role="status"]')?.textContent === 'Saved');
    expect(requests.filter((entry) => entry.method === 'PUT').map((entry) => entry.body)).toEqual([
      { value: -5 },
      { value: 30 },
    ]);
    await waitFor(() => buttonNamed('Reset rate_limit.chat.dev to its default'));
  });

  it('lists queues and replays a dead-lettered job', async () => {
    await act(async () => tab('Jobs').click());
    await waitFor(() => container.textContent?.includes('storage unavailable'));
    expect(container.querySelector('[role="alert"]')).toBeNull();
    expect(container.textContent).toContain('No worker has reported');
    await act(async () => buttonNamed('Replay document.extract job_9')?.click());
    await waitFor(() => requests.find((entry) => entry.method === 'POST'));
    expect(requests.find((entry) => entry.method === 'POST')?.url.pathname).toBe('/v1/admin/jobs/job_9/replay');
  });
});
