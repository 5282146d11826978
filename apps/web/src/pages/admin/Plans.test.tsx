// @vitest-environment happy-dom
import type { Plan, PlanAssignment } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../../testing/mount';
import { until } from '../../testing/until';
import { AdminPage } from '../Admin';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

const plan = (id: string, fields: Partial<Plan> = {}): Plan => ({
  id,
  name: id.toUpperCase(),
  description: '',
  is_default: false,
  models: null,
  apps: null,
  user_requests_per_minute: null,
  key_requests_per_minute: null,
  ip_requests_per_minute: null,
  budget_period: 'month',
  token_budget: null,
  spend_budget_usd: null,
  soft_limit_percent: 80,
  images_per_day: null,
  audio_minutes_per_day: null,
  assignments: 0,
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
  ...fields,
});

let requests: Array<{ method: string; path: string; body: unknown }>;
let plans: Plan[];
let assignments: PlanAssignment[];
let container: HTMLDivElement;
let mounted: Mounted;

function route(method: string, path: string, body: Record<string, unknown> | undefined, query = ''): Response {
  if (path === '/v1/admin/plans' && method === 'GET') return json(200, { plans, default_plan: 'free' });
  if (path === '/v1/admin/projects' && method === 'GET') {
    const wanted = new URLSearchParams(query).get('q') ?? '';
    const projects = [{ id: 'proj_1', name: 'Research', ownerEmail: 'ada@example.test' }];
    return json(200, { projects: projects.filter((project) => project.name.includes(wanted)), total: 1 });
  }
  if (path === '/v1/admin/plans' && method === 'POST') {
    const created = plan(String(body?.id), body as Partial<Plan>);
    plans.push(created);
    return json(201, created);
  }
  const one = /^\/v1\/admin\/plans\/([^/]+)(\/assignments)?$/.exec(path);
  const found = plans.find((entry) => entry.id === decodeURIComponent(one?.[1] ?? ''));
  if (one && found && one[2] && method === 'GET') {
    return json(200, { assignments: assignments.filter((row) => row.plan_id === found.id) });
  }
  if (one && found && method === 'PATCH') {
    Object.assign(found, body);
    return json(200, found);
  }
  if (one && found && method === 'DELETE') {
    plans = plans.filter((entry) => entry !== found);
    return json(204, null);
  }
  if (path === '/v1/admin/plan-assignments' && method === 'PUT') {
    const row = { ...(body as Pick<PlanAssignment, 'subject_type' | 'subject_id' | 'plan_id'>) };
    const assignment: PlanAssignment = {
      ...row,
      source: 'admin',
      external_reference: null,
      assigned_at: '2026-12-03T10:00:00.000Z',
    };
    assignments.push(assignment);
    return json(200, assignment);
  }
  const unassign = /^\/v1\/admin\/plan-assignments\/([^/]+)\/([^/]+)$/.exec(path);
  if (unassign && method === 'DELETE') {
    assignments = assignments.filter(
      (row) => !(row.subject_type === unassign[1] && row.subject_id === decodeURIComponent(unassign[2] ?? '')),
    );
    return json(204, null);
  }
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: `no route ${method} ${path}` } });
}

beforeEach(async () => {
  requests = [];
  plans = [
    plan('free', { is_default: true, models: ['fast'], token_budget: 100_000, budget_period: 'day', assignments: 1 }),
    plan('pro', { spend_budget_usd: 25, soft_limit_percent: 90 }),
  ];
  assignments = [
    {
      subject_type: 'user',
      subject_id: 'user_1',
      plan_id: 'free',
      source: 'webhook',
      external_reference: 'sub_9',
      assigned_at: '2026-12-02T10:00:00.000Z',
    },
  ];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const url = new URL(input, 'http://localhost');
      const path = url.pathname;
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      requests.push({ method, path, body });
      return route(method, path, body, url.search);
    }),
  );
  mounted = await mountWithQueryClient(<AdminPage />);
  ({ container } = mounted);
  const tab = [...container.querySelectorAll('[role="tab"]')].find((element) => element.textContent === 'Plans');
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
const row = (id: string) => container.querySelector(`tr[data-plan="${id}"]`);
const cells = (id: string) => [...(row(id)?.querySelectorAll('td') ?? [])].map((cell) => cell.textContent);
const button = (scope: Element | null, name: string) =>
  [...(scope?.querySelectorAll('button') ?? [])].find(
    (element) => element.textContent?.trim() === name || element.getAttribute('aria-label') === name,
  );
const form = () => container.querySelector('form[aria-label]') as HTMLFormElement | null;

/** Types into the input of the form field labelled `label` the way React sees it. */
async function fill(scope: Element, label: string, value: string) {
  const field = [...scope.querySelectorAll('label')].find((element) =>
    element.querySelector('span')?.textContent?.startsWith(label),
  );
  const input = field?.querySelector('input, select') as HTMLInputElement | HTMLSelectElement | null;
  if (!input) throw new Error(`no field ${label}`);
  const prototype = input instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  await act(async () => {
    Object.getOwnPropertyDescriptor(prototype, 'value')?.set?.call(input, value);
    input.dispatchEvent(new Event(input instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}

describe('admin console: plans', () => {
  it('lists plans with their models, apps, budget and assignments, and names the default', async () => {
    await waitFor(() => row('pro'));
    expect(cells('free').slice(0, 5)).toEqual([
      'FREE free(default)',
      'fast',
      'all',
      '100,000 tokens per day (notify at 80%)',
      '1',
    ]);
    expect(cells('pro')[3]).toBe('$25.00 per month (notify at 90%)');
    expect(container.textContent).toContain('Callers without an assignment are on the plan free.');
  });

  it('creates a plan with limits and budgets, and edits one (an emptied field becomes null)', async () => {
    await waitFor(() => row('pro'));
    await act(async () => button(container, 'New plan')?.click());
    const creating = form();
    if (!creating) throw new Error('no form');
    await fill(creating, 'Id', 'team');
    await fill(creating, 'Name', 'Team');
    await fill(creating, 'Models', 'fast, smart');
    await fill(creating, 'Budget period', 'day');
    await fill(creating, 'Token budget', '5000');
    await fill(creating, 'Spend budget', '12.5');
    await fill(creating, 'Soft limit', '75');
    await fill(creating, 'Requests per minute per user', '30');
    await act(async () => creating.requestSubmit());
    await waitFor(() => row('team'));
    expect(requests.find((request) => request.method === 'POST')?.body).toMatchObject({
      id: 'team',
      name: 'Team',
      models: ['fast', 'smart'],
      apps: null,
      budget_period: 'day',
      token_budget: 5000,
      spend_budget_usd: 12.5,
      soft_limit_percent: 75,
      user_requests_per_minute: 30,
      key_requests_per_minute: null,
    });
    expect(form()).toBeNull();

    await act(async () => button(row('free'), 'Edit')?.click());
    const editing = form();
    if (!editing) throw new Error('no form');
    expect(editing.getAttribute('aria-label')).toBe('Edit plan free');
    await fill(editing, 'Models', '');
    await fill(editing, 'Token budget', '');
    await fill(editing, 'Images per day', '7');
    await act(async () => editing.requestSubmit());
    await waitFor(() => requests.some((request) => request.method === 'PATCH'));
    const patch = requests.find((request) => request.method === 'PATCH');
    expect(patch?.path).toBe('/v1/admin/plans/free');
    expect(patch?.body).toMatchObject({ models: null, token_budget: null, images_per_day: 7, budget_period: 'day' });
  });

  it('deletes a plan only after confirming', async () => {
    await waitFor(() => row('pro'));
    await act(async () => button(row('pro'), 'Delete plan pro')?.click());
    expect(requests.some((request) => request.method === 'DELETE')).toBe(false);
    await act(async () => button(row('pro'), 'Keep')?.click());
    expect(button(row('pro'), 'Confirm deleting plan pro')).toBeUndefined();
    await act(async () => button(row('pro'), 'Delete plan pro')?.click());
    await act(async () => button(row('pro'), 'Confirm deleting plan pro')?.click());
    await waitFor(() => !row('pro'));
    expect(requests.filter((request) => request.method === 'DELETE').map((request) => request.path)).toEqual([
      '/v1/admin/plans/pro',
    ]);
  });

  it('shows who is on a plan, assigns a project found by name and removes an assignment', async () => {
    await waitFor(() => row('free'));
    await act(async () => button(row('free'), 'Assignments')?.click());
    const assignmentRow = (key: string) => container.querySelector(`tr[data-assignment="${key}"]`);
    await waitFor(() => assignmentRow('user:user_1'));
    expect(assignmentRow('user:user_1')?.textContent).toContain('webhook (sub_9)');
    const section = container.querySelector('section[aria-label="Who is on free"]');
    if (!section) throw new Error('no assignments section');
    await fill(section, 'Kind', 'project');
    const picker = section.querySelector('[role="combobox"]') as HTMLInputElement;
    const assign = button(section, 'Assign') as HTMLButtonElement;
    expect(assign.disabled).toBe(true);
    await act(async () => {
      picker.focus();
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(picker, 'Res');
      picker.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await waitFor(() => section.querySelector('[role="option"][data-subject="proj_1"]'));
    await act(async () => {
      picker.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    });
    expect(assign.disabled).toBe(false);
    await act(async () => (section.querySelector('form') as HTMLFormElement).requestSubmit());
    await waitFor(() => assignmentRow('project:proj_1'));
    expect(requests.find((request) => request.method === 'PUT')?.body).toEqual({
      subject_type: 'project',
      subject_id: 'proj_1',
      plan_id: 'free',
    });
    await act(async () => button(assignmentRow('user:user_1'), 'Remove')?.click());
    await waitFor(() => !assignmentRow('user:user_1'));
    expect(requests.some((request) => request.path === '/v1/admin/plan-assignments/user/user_1')).toBe(true);
  });
});
