// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchChatPage } from '../lib/conversations';
import { currentProjectId, setCurrentProject } from '../lib/projects';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { ProjectSwitcher } from './ProjectSwitcher';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const projects = [
  { id: 'proj_a', name: 'Apollo', description: null, ownerId: 'u1', role: 'owner', createdAt: '', updatedAt: '' },
  { id: 'proj_b', name: 'Borealis', description: null, ownerId: 'u2', role: 'viewer', createdAt: '', updatedAt: '' },
];

let mounted: Mounted | null = null;
let requests: string[] = [];

beforeEach(() => {
  requests = [];
  setCurrentProject(null);
  localStorage.clear();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      requests.push(url);
      if (url === '/v1/projects') return json(200, { projects });
      if (url.startsWith('/api/chats?')) return json(200, { chats: [], limit: 100, offset: 0 });
      return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'no' } });
    }),
  );
});

afterEach(async () => {
  await mounted?.unmount();
  mounted = null;
  vi.unstubAllGlobals();
});

const select = () => mounted?.container.querySelector('select') as HTMLSelectElement;

async function choose(value: string) {
  await act(async () => {
    const element = select();
    element.value = value;
    element.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

describe('ProjectSwitcher', () => {
  it('offers personal and your projects, labelled for screen readers, viewers marked', async () => {
    mounted = await mountWithQueryClient(<ProjectSwitcher />);
    await until(() => expect(select().options.length).toBe(3));
    expect([...select().options].map((option) => option.textContent)).toEqual([
      'Personal',
      'Apollo',
      'Borealis (view only)',
    ]);
    expect(select().getAttribute('aria-label')).toContain('Workspace');
    expect(select().value).toBe('');
  });

  it('scopes the sidebar list to the chosen project, remembers it, and goes back to personal', async () => {
    mounted = await mountWithQueryClient(<ProjectSwitcher />);
    await until(() => expect(select().options.length).toBe(3));
    await choose('proj_a');
    expect(currentProjectId()).toBe('proj_a');
    expect(localStorage.getItem('switchyard.project')).toBe('proj_a');
    await fetchChatPage({ archived: false }, 0);
    expect(requests.at(-1)).toContain('project=proj_a');

    await choose('');
    expect(currentProjectId()).toBeNull();
    expect(localStorage.getItem('switchyard.project')).toBeNull();
    await fetchChatPage({ archived: false }, 0);
    expect(requests.at(-1)).not.toContain('project=');
  });

  it('drops a remembered project that is no longer yours', async () => {
    setCurrentProject('proj_gone');
    mounted = await mountWithQueryClient(<ProjectSwitcher />);
    await until(() => expect(currentProjectId()).toBeNull());
    expect(select().value).toBe('');
  });
});
