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
  cost_usd: requests * 0.25,
});

let requests: Array<{ method: string; url: URL; body: unknown }>;
let settingValue: number;

/** The apps as GET /v1/admin/apps lists them (the agreed shape: source, enabled and roles included). */
let adminApps: Array<Record<string, unknown>>;
const appRow = (id: string, fields: Record<string, unknown> = {}) => ({
  id,
  name: id,
  kind: 'mcp',
  environments: ['prod', 'dev'],
  status: 'ok',
  skills: ['echo', 'add'],
  timeout_ms: 30_000,
  max_output_bytes: 65_536,
  source: 'config',
  enabled: true,
  roles: null,
  ...fields,
});

function appsRoute(method: string, path: string, body: unknown): Response | null {
  if (path === '/v1/admin/apps' && method === 'GET') return json(200, { apps: adminApps });
  if (path === '/v1/admin/apps' && method === 'POST') {
    const created = appRow((body as { id: string }).id, { source: 'admin', skills: [], status: 'unavailable' });
    adminApps.push(created);
    return json(201, created);
  }
  const match = /^\/v1\/admin\/apps\/([^/]+)(\/.*)?$/.exec(path);
  if (!match) return null;
  const app = adminApps.find((entry) => entry.id === match[1]);
  if (!app) return json(404, { error: { code: 'SY_ERR_APP_NOT_FOUND', message: `No app '${match[1]}'` } });
  const rest = match[2] ?? '';
  if (rest === '' && method === 'PATCH') {
    Object.assign(app, body);
    return json(200, app);
  }
  if (rest === '' && method === 'DELETE') {
    adminApps = adminApps.filter((entry) => entry !== app);
    return new Response(null, { status: 204 });
  }
  if (rest === '/health') return json(200, { id: app.id, status: 'ok', latency_ms: 12.3, skills: 2 });
  if (rest === '/skills/echo/test') {
    const input = (body as { input: { text?: unknown } }).input;
    if (typeof input.text !== 'string') {
      return json(400, { error: { code: 'SY_ERR_VALIDATION', message: 'input.text must be string' } });
    }
    return json(200, {
      app: app.id,
      skill: 'echo',
      output: `echo: ${input.text}`,
      is_error: false,
      truncated: false,
      duration_ms: 4.2,
    });
  }
  return null;
}

function route(method: string, url: URL, body: unknown): Response {
  const path = url.pathname;
  const app = appsRoute(method, path, body);
  if (app) return app;
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
  adminApps = [appRow('clock'), appRow('web', { kind: 'builtin', source: 'builtin', skills: ['search'] })];
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

  describe('apps', () => {
    const row = (id: string) => container.querySelector(`tr[data-app="${id}"]`) as HTMLTableRowElement | null;
    const cells = (id: string) => [...(row(id)?.querySelectorAll('td') ?? [])].map((cell) => cell.textContent);
    const openApps = async () => {
      await act(async () => tab('Apps').click());
      await waitFor(() => row('clock'));
    };

    it('lists kind, status, environments, skills and source, and disables an app', async () => {
      await openApps();
      expect(cells('clock')).toEqual([
        'clock',
        'mcp',
        'ok',
        'prod, dev',
        'echo, add',
        'config',
        '',
        expect.any(String),
      ]);
      expect(cells('web').slice(0, 6)).toEqual(['web', 'builtin', 'ok', 'prod, dev', 'search', 'builtin']);
      // Only admin-made apps can be deleted.
      expect(buttonNamed('Delete clock')).toBeUndefined();

      const toggle = byLabel<HTMLInputElement>('Enable clock') as HTMLInputElement;
      expect(toggle.checked).toBe(true);
      await act(async () => toggle.click());
      await waitFor(() => requests.find((entry) => entry.method === 'PATCH'));
      const patch = requests.find((entry) => entry.method === 'PATCH');
      expect(patch?.url.pathname).toBe('/v1/admin/apps/clock');
      expect(patch?.body).toEqual({ enabled: false });
      await waitFor(() => (byLabel<HTMLInputElement>('Enable clock') as HTMLInputElement).checked === false);
    });

    it('treats source and enabled as optional (a server without run-time administration)', async () => {
      adminApps = [appRow('old', { source: undefined, enabled: undefined, roles: undefined })];
      await act(async () => tab('Apps').click());
      await waitFor(() => row('old'));
      expect(cells('old')[5]).toBe('—');
      const toggle = byLabel<HTMLInputElement>('Enable old') as HTMLInputElement;
      expect(toggle.checked).toBe(true);
      expect(toggle.disabled).toBe(true);
    });

    it('checks health and tests a skill with a JSON input, showing the output or the error', async () => {
      await openApps();
      await act(async () => buttonNamed('Check clock')?.click());
      const health = (await waitFor(() => container.querySelector('[data-testid="health-clock"]'))) as HTMLElement;
      expect(health.textContent).toBe('ok in 12 ms, 2 skills');

      await act(async () => buttonNamed('Test a skill of clock')?.click());
      const form = (await waitFor(() => container.querySelector('form[aria-label="Test clock"]'))) as HTMLFormElement;
      const input = form.querySelector('textarea') as HTMLTextAreaElement;
      const fill = async (value: string) =>
        act(async () => {
          Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set?.call(input, value);
          input.dispatchEvent(new Event('input', { bubbles: true }));
        });
      await fill('[1, 2]');
      await act(async () => buttonNamed('Run')?.click());
      expect(form.querySelector('[role="alert"]')?.textContent).toContain('must be a JSON object');
      expect(requests.some((entry) => entry.url.pathname.endsWith('/test'))).toBe(false);

      await fill('{"text": 5}');
      await act(async () => buttonNamed('Run')?.click());
      await waitFor(() => form.querySelector('[role="alert"]')?.textContent?.includes('input.text must be string'));

      await fill('{"text": "hi"}');
      await act(async () => buttonNamed('Run')?.click());
      const output = (await waitFor(() => container.querySelector('[data-testid="skill-output"]'))) as HTMLElement;
      expect(output.querySelector('pre')?.textContent).toBe('echo: hi');
      expect(output.textContent).toContain('ok in 4 ms');
      const test = requests.filter((entry) => entry.url.pathname === '/v1/admin/apps/clock/skills/echo/test');
      expect(test.map((entry) => entry.body)).toEqual([{ input: { text: 5 } }, { input: { text: 'hi' } }]);
    });

    it('adds an MCP app by URL and an HTTP app with its secret, and deletes an admin-made app', async () => {
      await openApps();
      await type(byLabel<HTMLInputElement>('Id') as HTMLInputElement, 'tools');
      await type(byLabel<HTMLInputElement>('MCP URL') as HTMLInputElement, 'https://tools.example.com/mcp');
      await act(async () => buttonNamed('Add app')?.click());
      await waitFor(() => row('tools'));
      expect(requests.find((entry) => entry.method === 'POST')?.body).toEqual({
        id: 'tools',
        type: 'mcp',
        url: 'https://tools.example.com/mcp',
        environments: ['dev'],
      });

      await choose(byLabel<HTMLSelectElement>('Type') as HTMLSelectElement, 'http');
      expect(byLabel('MCP URL')).toBeNull();
      await type(byLabel<HTMLInputElement>('Id') as HTMLInputElement, 'weather');
      await type(byLabel<HTMLInputElement>('Base URL') as HTMLInputElement, 'https://weather.example.com');
      await type(byLabel<HTMLInputElement>('Signing secret') as HTMLInputElement, 's3cret-value');
      await type(byLabel<HTMLInputElement>('Timeout (ms)') as HTMLInputElement, '5000');
      await act(async () => buttonNamed('Add app')?.click());
      await waitFor(() => row('weather'));
      expect(requests.filter((entry) => entry.method === 'POST').at(-1)?.body).toEqual({
        id: 'weather',
        type: 'http',
        base_url: 'https://weather.example.com',
        secret: 's3cret-value',
        timeout_ms: 5000,
        environments: ['dev'],
      });

      await act(async () => buttonNamed('Delete tools')?.click());
      expect(requests.some((entry) => entry.method === 'DELETE')).toBe(false);
      await act(async () => buttonNamed('Confirm deleting tools')?.click());
      await waitFor(() => !row('tools'));
      expect(requests.find((entry) => entry.method === 'DELETE')?.url.pathname).toBe('/v1/admin/apps/tools');
    });
  });
});
