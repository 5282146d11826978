// @vitest-environment happy-dom
import type { Schedule } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../../testing/mount';
import { until } from '../../testing/until';
import { AdminPage } from '../Admin';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const schedule = (id: string, fields: Partial<Schedule> = {}): Schedule => ({
  id,
  name: 'Purge expired idempotency keys',
  environment: 'prod',
  origin: 'system',
  job: 'maintenance.purge',
  payload: { environment: 'prod', target: 'idempotency-keys' },
  cron: null,
  timezone: null,
  interval_ms: 3_600_000,
  missed_policy: 'run_once',
  paused: false,
  next_run_at: '2026-12-03T12:00:00.000Z',
  last_run: {
    tick_at: '2026-12-03T11:00:00.000Z',
    fired_at: '2026-12-03T11:00:00.300Z',
    manual: false,
    late_ms: 300,
    outcome: 'enqueued',
    job_id: 'schedule-x-1',
    job_status: 'dead',
    error: { code: 'SY_ERR_INTERNAL', message: 'database gone' },
  },
  runs: 12,
  failures: 1,
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
  ...fields,
});

let requests: Array<{ method: string; path: string }>;
let schedules: Schedule[];
let container: HTMLDivElement;
let mounted: Mounted;

function route(method: string, path: string): Response {
  if (path === '/v1/admin/schedules' && method === 'GET') return json(200, { schedules });
  const action = /^\/v1\/admin\/schedules\/([^/]+)\/(pause|resume|run)$/.exec(path);
  const found = schedules.find((entry) => entry.id === decodeURIComponent(action?.[1] ?? ''));
  if (action && found) {
    if (action[2] === 'run') return json(202, found.last_run);
    found.paused = action[2] === 'pause';
    found.next_run_at = found.paused ? null : '2026-12-03T12:00:00.000Z';
    return json(200, found);
  }
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: `no route ${method} ${path}` } });
}

beforeEach(async () => {
  requests = [];
  schedules = [
    schedule('system.idempotency-keys-purge'),
    schedule('nightly', {
      name: 'nightly report',
      origin: 'admin',
      environment: 'dev',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      interval_ms: null,
      last_run: null,
      runs: 0,
      failures: 0,
    }),
  ];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const path = new URL(input, 'http://localhost').pathname;
      requests.push({ method, path });
      return route(method, path);
    }),
  );
  mounted = await mountWithQueryClient(<AdminPage />);
  ({ container } = mounted);
  const tab = [...container.querySelectorAll('[role="tab"]')].find((element) => element.textContent === 'Schedules');
  await act(async () => (tab as HTMLElement).click());
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
const row = (id: string) => container.querySelector(`tr[data-schedule="${id}"]`);
const cells = (id: string) => [...(row(id)?.querySelectorAll('td') ?? [])].map((cell) => cell.textContent);
const buttonIn = (scope: Element | null, name: string) =>
  [...(scope?.querySelectorAll('button') ?? [])].find((button) => button.textContent?.trim() === name);

describe('admin console: schedules', () => {
  it('lists each schedule with job, environment, timing, last result, runs and failures', async () => {
    await waitFor(() => row('nightly'));
    expect(cells('system.idempotency-keys-purge').slice(1, 4)).toEqual(['maintenance.purge', 'prod', 'every 1 h']);
    expect(cells('system.idempotency-keys-purge').slice(5, 8)).toEqual(['failed: database gone', '12', '1']);
    expect(cells('nightly').slice(3, 6)).toEqual(['30 2 * * * (Europe/Berlin)', expect.any(String), 'never ran']);
    // System schedules cannot be deleted; admin ones can.
    expect(buttonIn(row('system.idempotency-keys-purge'), 'Delete')).toBeUndefined();
    expect(buttonIn(row('nightly'), 'Delete')).toBeDefined();
  });

  it('pauses, resumes and runs a schedule now', async () => {
    await waitFor(() => row('nightly'));
    await act(async () => buttonIn(row('nightly'), 'Pause')?.click());
    await waitFor(() => buttonIn(row('nightly'), 'Resume'));
    expect(cells('nightly')[4]).toBe('paused');
    await act(async () => buttonIn(row('nightly'), 'Resume')?.click());
    await waitFor(() => buttonIn(row('nightly'), 'Pause'));
    await act(async () => buttonIn(row('nightly'), 'Run now')?.click());
    await waitFor(() => requests.some((request) => request.path === '/v1/admin/schedules/nightly/run'));
    expect(requests.filter((request) => request.method === 'POST').map((request) => request.path)).toEqual([
      '/v1/admin/schedules/nightly/pause',
      '/v1/admin/schedules/nightly/resume',
      '/v1/admin/schedules/nightly/run',
    ]);
  });
});
