// @vitest-environment happy-dom
import type { SavedSearch, SavedSearchRun } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { SearchesPage } from './Searches';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const search = (id: string, fields: Partial<SavedSearch> = {}): SavedSearch => ({
  id,
  project_id: null,
  created_by: 'u1',
  name: 'tides',
  query: 'tides',
  provider: 'searxng',
  language: null,
  time_range: null,
  sites: [],
  channels: ['in_app'],
  summarise: false,
  summary_model: null,
  cron: '0 8 * * *',
  timezone: 'Europe/Paris',
  interval_ms: null,
  missed_policy: 'run_once',
  paused: false,
  next_run_at: '2026-12-04T07:00:00.000Z',
  last_run: null,
  created_at: '2026-12-03T08:00:00.000Z',
  updated_at: '2026-12-03T08:00:00.000Z',
  ...fields,
});

const runs: SavedSearchRun[] = [
  {
    id: 'run-2',
    status: 'succeeded',
    ran_at: '2026-12-03T09:00:00.000Z',
    total_results: 3,
    new_results: 1,
    summary: 'A new tide table for Brest [1].',
    error: null,
    results: [
      {
        title: 'Tide tables for Brest',
        url: 'https://tides.example.org/brest',
        snippet: 'High and low tide times',
        published_at: null,
        found_at: '2026-12-03T09:00:00.000Z',
      },
    ],
  },
  {
    id: 'run-1',
    status: 'failed',
    ran_at: '2026-12-02T09:00:00.000Z',
    total_results: 0,
    new_results: 0,
    summary: null,
    error: { code: 'SY_ERR_APP_UNAVAILABLE', message: 'Web search (searxng) is unavailable' },
    results: [],
  },
];

let requests: Array<{ method: string; path: string; body: unknown }>;
let searches: SavedSearch[];
let container: HTMLDivElement;
let mounted: Mounted;

function route(method: string, path: string, body: unknown): Response {
  if (path === '/api/searches' && method === 'GET') return json(200, { searches });
  if (path === '/api/searches' && method === 'POST') {
    const created = search(`s${searches.length + 1}`, { name: (body as { query: string }).query });
    searches = [created, ...searches];
    return json(201, created);
  }
  const one = /^\/api\/searches\/([^/]+)(\/runs|\/run)?$/.exec(path);
  const found = searches.find((entry) => entry.id === one?.[1]);
  if (!found) return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'No saved search' } });
  if (one?.[2] === '/runs') return json(200, { runs });
  if (one?.[2] === '/run') return json(202, { manual: true, outcome: 'enqueued' });
  if (method === 'PATCH') {
    Object.assign(found, { paused: (body as { paused: boolean }).paused });
    return json(200, found);
  }
  if (method === 'DELETE') {
    searches = searches.filter((entry) => entry !== found);
    return new Response(null, { status: 204 });
  }
  return json(405, { error: { code: 'SY_ERR_METHOD_NOT_ALLOWED', message: method } });
}

beforeEach(async () => {
  requests = [];
  searches = [search('s1')];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const path = new URL(input, 'http://localhost').pathname;
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      requests.push({ method, path, body });
      return route(method, path, body);
    }),
  );
  mounted = await mountWithQueryClient(<SearchesPage />);
  ({ container } = mounted);
});

afterEach(async () => {
  await mounted.unmount();
  vi.unstubAllGlobals();
});

const waitFor = (check: () => unknown) =>
  until(() => {
    const result = check();
    if (result === false || result === null || result === undefined) throw new Error('not there yet');
    return result;
  });
const item = (id: string) => container.querySelector(`li[data-search="${id}"]`);
const buttonIn = (scope: Element | null, name: string) =>
  [...(scope?.querySelectorAll('button') ?? [])].find((button) => button.textContent?.trim() === name);

async function type(input: HTMLInputElement, value: string) {
  await act(async () => {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
    setter?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

describe('Saved searches page', () => {
  it('lists searches with their schedule and shows the results history of one', async () => {
    await waitFor(() => item('s1'));
    expect(item('s1')?.textContent).toContain('Every day at 08:00 (Europe/Paris)');
    await act(async () => buttonIn(item('s1'), 'History')?.click());
    await waitFor(() => container.querySelector('li[data-run="run-2"]'));
    const history = container.querySelector('[aria-label="Results history"]')?.textContent ?? '';
    expect(history).toContain('1 new of 3');
    expect(history).toContain('A new tide table for Brest [1].');
    expect(history).toContain('failed (Web search (searxng) is unavailable)');
    const link = container.querySelector('a[href="https://tides.example.org/brest"]');
    expect(link?.getAttribute('rel')).toContain('noopener');
  });

  it('saves a new search with the chosen schedule, the browser time zone, sites and channels', async () => {
    await waitFor(() => item('s1'));
    const form = container.querySelector('form[aria-label="New saved search"]') as HTMLFormElement;
    const [query, sites] = [...form.querySelectorAll('input:not([type="checkbox"])')] as HTMLInputElement[];
    await type(query as HTMLInputElement, 'neap tide');
    await type(sites as HTMLInputElement, 'ocean.example.com, tides.example.org');
    const email = form.querySelector('input[type="checkbox"]') as HTMLInputElement;
    await act(async () => email.click());
    await act(async () => buttonIn(form, 'Save search')?.click());
    await waitFor(() => item('s2'));
    const post = requests.find((request) => request.method === 'POST' && request.path === '/api/searches');
    expect(post?.body).toMatchObject({
      query: 'neap tide',
      cron: '0 8 * * *',
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      sites: ['ocean.example.com', 'tides.example.org'],
      channels: ['in_app', 'email'],
      summarise: false,
    });
  });

  it('runs now, pauses and deletes through the API', async () => {
    await waitFor(() => item('s1'));
    await act(async () => buttonIn(item('s1'), 'Run now')?.click());
    await waitFor(() => requests.some((request) => request.path === '/api/searches/s1/run'));
    await act(async () => buttonIn(item('s1'), 'Pause')?.click());
    await waitFor(() => buttonIn(item('s1'), 'Resume'));
    expect(requests.find((request) => request.method === 'PATCH')?.body).toEqual({ paused: true });
    await act(async () => buttonIn(item('s1'), 'Delete')?.click());
    await waitFor(() => container.textContent?.includes('No saved searches yet.'));
  });
});
