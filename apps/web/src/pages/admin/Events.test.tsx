// @vitest-environment happy-dom
import type { EventDeadLetter } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../../testing/mount';
import { until } from '../../testing/until';
import { AdminPage } from '../Admin';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const failure = (status: number, code: string, message: string) => json(status, { error: { code, message } });

const deadLetter = (id: string, fields: Partial<EventDeadLetter> = {}): EventDeadLetter => ({
  id,
  group: 'flow-notifier',
  attempts: 5,
  last_error: { message: 'smtp unavailable', code: 'SY_ERR_DEPENDENCY_UNAVAILABLE' },
  dead_at: '2026-12-03T08:00:00.000Z',
  event: {
    id: `evt_${id}`,
    name: 'FlowStageChanged',
    version: 1,
    environment: 'prod',
    flow_id: 'flow_7',
    payload: { stage: 'review', note: 'needs a look' },
    published_at: '2026-12-03T07:59:00.000Z',
  },
  ...fields,
});

let requests: Array<{ method: string; path: string; search: string }>;
/** What GET /v1/admin/events/dead-letters answers; the replay route removes the replayed one. */
let deadLetters: EventDeadLetter[];
/** A fresh response each time (a body is read once), or null for the normal answer. */
let listFailure: (() => Response) | null;
let replayFailure: (() => Response) | null;

function route(method: string, path: string, search: URLSearchParams): Response {
  if (path === '/v1/admin/events/dead-letters' && method === 'GET') {
    const group = search.get('group');
    const listed = group ? deadLetters.filter((entry) => entry.group === group) : deadLetters;
    return listFailure?.() ?? json(200, { backend: 'redis', dead_letters: listed });
  }
  const replay = /^\/v1\/admin\/events\/dead-letters\/([^/]+)\/replay$/.exec(path);
  if (replay && method === 'POST') {
    if (replayFailure) return replayFailure();
    const id = decodeURIComponent(replay[1] ?? '');
    const found = deadLetters.find((entry) => entry.id === id);
    if (!found) return failure(404, 'SY_ERR_NOT_FOUND', `No dead letter with id '${id}'`);
    deadLetters = deadLetters.filter((entry) => entry !== found);
    return json(200, { ...found, attempts: 0 });
  }
  // The other tabs' data (the page opens on Usage) is not what these tests are about.
  return failure(404, 'SY_ERR_NOT_FOUND', `no route ${method} ${path}`);
}

let container: HTMLDivElement;
let mounted: Mounted;

beforeEach(async () => {
  requests = [];
  deadLetters = [
    deadLetter('dl_1'),
    deadLetter('dl/2', {
      group: 'audit',
      event: {
        ...deadLetter('x').event,
        id: 'evt_2',
        environment: 'dev',
        name: 'FlowCompleted',
        payload: { ok: false },
      },
      last_error: { message: 'handler threw', code: null },
      attempts: 3,
    }),
  ];
  listFailure = null;
  replayFailure = null;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const url = new URL(input, 'http://localhost');
      requests.push({ method, path: url.pathname, search: url.search });
      return route(method, url.pathname, url.searchParams);
    }),
  );
  mounted = await mountWithQueryClient(<AdminPage />);
  ({ container } = mounted);
});

afterEach(async () => {
  await mounted.unmount();
  vi.unstubAllGlobals();
});

/** Waits until `check` returns something (not false, null or undefined) and returns it. */
const waitFor = (check: () => unknown) =>
  until(() => {
    const result = check();
    if (result === false || result === null || result === undefined) throw new Error('not there yet');
    return result;
  });

const buttonNamed = (name: string) =>
  [...container.querySelectorAll('button')].find(
    (element) => (element.getAttribute('aria-label') ?? element.textContent?.trim()) === name,
  );
const row = (id: string) => container.querySelector(`tr[data-dead-letter="${id}"]`);
const cells = (id: string) => [...(row(id)?.querySelectorAll('td') ?? [])].map((cell) => cell.textContent);
const alerts = () => [...container.querySelectorAll('[role="alert"]')].map((element) => element.textContent);
const posts = () => requests.filter((entry) => entry.method === 'POST');
const lists = () => requests.filter((entry) => entry.path === '/v1/admin/events/dead-letters');

async function type(input: HTMLInputElement, value: string) {
  await act(async () => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function openTab() {
  const tab = [...container.querySelectorAll('[role="tab"]')].find((element) => element.textContent === 'Events');
  await act(async () => (tab as HTMLElement).click());
  expect(container.querySelector('[role="tabpanel"]')?.getAttribute('aria-labelledby')).toBe('admin-tab-Events');
}

describe('admin console: event dead letters', () => {
  it('lists each dead letter with event, group, environment, attempts, last error and time', async () => {
    await openTab();
    await waitFor(() => row('dl/2'));
    expect(alerts()).toEqual([]);
    expect(container.textContent).toContain('Event bus backend redis.');
    const headings = [...container.querySelectorAll('thead th')].map((cell) => cell.textContent);
    expect(headings).toEqual([
      'Event',
      'Consumer group',
      'Environment',
      'Attempts',
      'Last error',
      'Dead since',
      'Actions',
    ]);
    expect(cells('dl_1').slice(0, 5)).toEqual([
      'FlowStageChanged',
      'flow-notifier',
      'prod',
      '5',
      'smtp unavailable SY_ERR_DEPENDENCY_UNAVAILABLE',
    ]);
    expect(cells('dl/2').slice(0, 5)).toEqual(['FlowCompleted', 'audit', 'dev', '3', 'handler threw']);
    expect(row('dl_1')?.querySelector('time')?.getAttribute('dateTime')).toBe('2026-12-03T08:00:00.000Z');
  });

  it('shows the payload of one dead letter on request', async () => {
    await openTab();
    await waitFor(() => row('dl_1'));
    const toggle = buttonNamed('Payload of FlowStageChanged dl_1') as HTMLButtonElement;
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(container.querySelector('[data-testid="event-payload"]')).toBeNull();

    await act(async () => toggle.click());
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const payload = container.querySelector('[data-testid="event-payload"]');
    expect(JSON.parse(payload?.textContent ?? '')).toEqual({ stage: 'review', note: 'needs a look' });
    expect(payload?.parentElement?.textContent).toContain('flow_7');

    await act(async () => toggle.click());
    expect(container.querySelector('[data-testid="event-payload"]')).toBeNull();
  });

  it('replays only after confirmation, then refreshes the list', async () => {
    await openTab();
    await waitFor(() => row('dl/2'));
    await act(async () => buttonNamed('Replay FlowCompleted dl/2')?.click());
    expect(posts()).toEqual([]);
    await act(async () => buttonNamed('Keep')?.click());
    expect(buttonNamed('Confirm replaying FlowCompleted dl/2')).toBeUndefined();
    expect(posts()).toEqual([]);

    await act(async () => buttonNamed('Replay FlowCompleted dl/2')?.click());
    const listed = lists().length;
    await act(async () => buttonNamed('Confirm replaying FlowCompleted dl/2')?.click());
    await waitFor(() => container.querySelector('[role="status"]'));
    expect(posts().map((entry) => entry.path)).toEqual(['/v1/admin/events/dead-letters/dl%2F2/replay']);
    expect(container.querySelector('[role="status"]')?.textContent).toBe('Replayed FlowCompleted (dl/2) to audit.');
    await waitFor(() => !row('dl/2'));
    expect(lists().length).toBeGreaterThan(listed);
    expect(row('dl_1')).not.toBeNull();
    expect(alerts()).toEqual([]);
  });

  it('filters by consumer group through the API, suggests the groups seen, and clears the filter', async () => {
    await openTab();
    await waitFor(() => row('dl/2'));
    const suggestions = [...container.querySelectorAll('#event-dead-letter-groups option')].map((option) =>
      option.getAttribute('value'),
    );
    expect(suggestions).toEqual(['audit', 'flow-notifier']);
    const input = container.querySelector('input[name="group"]') as HTMLInputElement;
    const form = container.querySelector('form[aria-label="Filter dead letters"]') as HTMLFormElement;

    await type(input, 'Not A Group');
    await act(async () => form.requestSubmit());
    expect(alerts()).toEqual(['A consumer group is 1-63 lower-case letters, digits and -, starting with a letter.']);
    expect(lists().every((entry) => entry.search === '')).toBe(true);

    await type(input, 'audit');
    await act(async () => form.requestSubmit());
    await waitFor(() => row('dl/2') && !row('dl_1'));
    expect(lists().at(-1)?.search).toBe('?group=audit');
    expect(alerts()).toEqual([]);

    await type(input, 'billing');
    await act(async () => form.requestSubmit());
    await waitFor(() => container.textContent?.includes('No dead letters of group billing.'));
    expect(lists().at(-1)?.search).toBe('?group=billing');

    await act(async () => buttonNamed('Show every group')?.click());
    await waitFor(() => row('dl_1') && row('dl/2'));
    expect(lists().at(-1)?.search).toBe('');
    expect(input.value).toBe('');
  });

  it('says so when there are no dead letters', async () => {
    deadLetters = [];
    await openTab();
    await waitFor(() => container.textContent?.includes('Empty: every consumer group has handled its events.'));
    expect(container.querySelector('table')).toBeNull();
    expect(alerts()).toEqual([]);
  });

  it('shows a failed list clearly', async () => {
    listFailure = () => failure(503, 'SY_ERR_DEPENDENCY_UNAVAILABLE', 'The event store is unavailable');
    await openTab();
    await waitFor(() => alerts().length > 0);
    expect(container.textContent).toContain('Could not load the dead letters.');
    expect(alerts()).toEqual(['Server problem The event store is unavailable']);
    expect(container.querySelector('table')).toBeNull();
  });

  it('shows a failed replay clearly and keeps the list', async () => {
    replayFailure = () => failure(404, 'SY_ERR_NOT_FOUND', "No dead letter with id 'dl_1'");
    await openTab();
    await waitFor(() => row('dl_1'));
    await act(async () => buttonNamed('Replay FlowStageChanged dl_1')?.click());
    await act(async () => buttonNamed('Confirm replaying FlowStageChanged dl_1')?.click());
    await waitFor(() => alerts().length > 0);
    expect(container.textContent).toContain('Replay of dl_1 failed.');
    expect(alerts()).toEqual(["Request failed (404) No dead letter with id 'dl_1'"]);
    expect(container.querySelector('[role="status"]')).toBeNull();
    expect(row('dl_1')).not.toBeNull();
    // The confirmation is over; the row offers Replay again.
    expect(buttonNamed('Replay FlowStageChanged dl_1')).toBeDefined();
  });
});
