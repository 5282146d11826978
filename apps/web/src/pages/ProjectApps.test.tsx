// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Project, ProjectRole } from '../lib/projects';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { ProjectAppsSection } from './ProjectApps';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

const projectOf = (role: ProjectRole): Project => ({
  id: 'proj_a',
  name: 'Apollo',
  description: null,
  ownerId: 'u1',
  role,
  createdAt: '',
  updatedAt: '',
});

const notes = {
  id: 'team-notes',
  type: 'mcp',
  name: 'Team notes',
  description: 'Shared notes',
  projectId: 'proj_a',
  createdBy: 'u1',
  url: 'https://notes.example.com/mcp',
  header_names: ['authorization'],
  has_secret: false,
  enabled: true,
  created_at: '2026-01-01T00:00:00.000Z',
};

let mounted: Mounted;
let apps: Array<Record<string, unknown>>;
let requests: Array<{ method: string; url: string; body: unknown }>;

beforeEach(() => {
  apps = [{ ...notes }];
  requests = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      requests.push({ method, url, body });
      if (method === 'GET' && url === '/api/projects/proj_a/apps') return json(200, { apps });
      if (method === 'POST' && url === '/api/apps') {
        const created = {
          ...notes,
          ...body,
          name: body.name ?? body.id,
          header_names: Object.keys(body.headers ?? {}),
        };
        delete created.headers;
        apps.push(created);
        return json(201, created);
      }
      const id = decodeURIComponent(url.replace('/api/apps/', ''));
      if (method === 'PATCH') {
        const index = apps.findIndex((app) => app.id === id);
        apps[index] = { ...apps[index], ...body };
        return json(200, apps[index]);
      }
      if (method === 'DELETE') {
        apps = apps.filter((app) => app.id !== id);
        return json(204, null);
      }
      return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'no' } });
    }),
  );
});

afterEach(async () => {
  await mounted?.unmount();
  vi.unstubAllGlobals();
});

const text = () => mounted.container.textContent ?? '';
const buttons = (label: string) =>
  [...mounted.container.querySelectorAll('button')].filter(
    (button) => button.getAttribute('aria-label') === label || button.textContent?.trim() === label,
  );
const button = (label: string) => {
  const found = buttons(label)[0];
  if (!found) throw new Error(`no button "${label}"`);
  return found;
};
/** A control by its label's text (labels point at their controls with `for`). */
const control = (label: string, within: ParentNode = mounted.container) => {
  const element = [...within.querySelectorAll('label')].find((each) => each.textContent?.trim() === label);
  if (!element) throw new Error(`no field "${label}"`);
  const target = element.htmlFor
    ? mounted.container.ownerDocument.getElementById(element.htmlFor)
    : element.querySelector('input');
  return target as HTMLInputElement;
};
const forms = () => [...mounted.container.querySelectorAll('form')];

async function type(element: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, value: string) {
  await act(async () => {
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(element), 'value')?.set?.call(element, value);
    element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}
const click = (element: HTMLElement) => act(async () => element.click());
const submit = (form: HTMLFormElement) =>
  act(async () => {
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  });

describe("a project's apps on the Projects page", () => {
  it('a viewer sees them, read-only: no edit, remove or add', async () => {
    mounted = await mountWithQueryClient(<ProjectAppsSection project={projectOf('viewer')} />);
    await until(() => expect(text()).toContain('Team notes'));
    expect(text()).toContain('https://notes.example.com/mcp');
    expect(text()).toContain('Sends headers: authorization');
    expect(buttons('Edit Team notes')).toEqual([]);
    expect(buttons('Remove Team notes')).toEqual([]);
    expect(forms()).toEqual([]);
    expect(text()).toContain("The project's admins add and change them.");
  });

  it('an admin adds one: the form says what to fix, next to the field, and focuses it', async () => {
    mounted = await mountWithQueryClient(<ProjectAppsSection project={projectOf('admin')} />);
    await until(() => expect(text()).toContain('Team notes'));
    const form = forms()[0] as HTMLFormElement;
    await submit(form);
    const id = control('ID', form);
    const url = control('MCP endpoint URL', form);
    expect(id.getAttribute('aria-invalid')).toBe('true');
    expect(url.getAttribute('aria-invalid')).toBe('true');
    const idMessage = id
      .getAttribute('aria-describedby')
      ?.split(' ')
      .map((each) => mounted.container.ownerDocument.getElementById(each)?.textContent)
      .join(' ');
    expect(idMessage).toContain('Give the app an ID.');
    expect(text()).toContain('Give the URL of the app.');
    await until(() => expect(mounted.container.ownerDocument.activeElement).toBe(id));

    await type(id, 'Bad Id');
    await type(url, 'ftp://files.example.com');
    await submit(form);
    expect(text()).toContain('Use 1 to 63 lowercase letters');
    expect(text()).toContain('Only http and https URLs work.');
    await type(url, 'https://me:pw@tools.example.com/mcp');
    await submit(form);
    expect(text()).toContain('Put no user name or password in the URL');
    expect(requests.filter((request) => request.method === 'POST')).toEqual([]);

    await type(id, 'crm');
    await type(url, 'https://crm.example.com/mcp');
    await type(control('Authorization header (optional)', form), 'Bearer s3cret');
    await submit(form);
    await until(() => expect(text()).toContain('App crm added'));
    const posted = requests.find((request) => request.method === 'POST');
    expect(posted?.body).toEqual({
      id: 'crm',
      type: 'mcp',
      url: 'https://crm.example.com/mcp',
      headers: { authorization: 'Bearer s3cret' },
      projectId: 'proj_a',
    });
    // Listed again from the server, and the form is empty for the next one.
    await until(() => expect(mounted.container.querySelector('[data-app="crm"]')).not.toBeNull());
    expect(control('ID', forms()[0]).value).toBe('');
  });

  it('an admin edits one: only what changed is sent; a stored credential is kept unless replaced or removed', async () => {
    mounted = await mountWithQueryClient(<ProjectAppsSection project={projectOf('owner')} />);
    await until(() => expect(text()).toContain('Team notes'));
    await click(button('Edit Team notes'));
    const form = forms()[0] as HTMLFormElement;
    expect(form.getAttribute('aria-labelledby')).toBeTruthy();
    expect(control('Name (optional)', form).value).toBe('Team notes');
    expect(control('MCP endpoint URL', form).value).toBe('https://notes.example.com/mcp');
    expect(text()).toContain('leave this empty to keep it');

    await type(control('Name (optional)', form), 'Notes');
    await type(control('MCP endpoint URL', form), 'not a url');
    await submit(form);
    expect(text()).toContain('This is not a URL');
    expect(requests.filter((request) => request.method === 'PATCH')).toEqual([]);

    await type(control('MCP endpoint URL', form), 'https://notes2.example.com/mcp');
    await click(control('Switched on (offered in chats)', form));
    await submit(form);
    await until(() => expect(text()).toContain('App Notes saved'));
    const patched = requests.find((request) => request.method === 'PATCH');
    expect(patched?.url).toBe('/api/apps/team-notes');
    expect(patched?.body).toEqual({ name: 'Notes', url: 'https://notes2.example.com/mcp', enabled: false });
    await until(() => expect(text()).toContain('switched off'));

    // Removing the stored Authorization header sends an empty set of headers.
    await click(button('Edit Notes'));
    await click(control('Remove the stored Authorization header', forms()[0]));
    await submit(forms()[0] as HTMLFormElement);
    await until(() => expect(requests.filter((request) => request.method === 'PATCH')).toHaveLength(2));
    expect(requests.filter((request) => request.method === 'PATCH')[1]?.body).toEqual({ headers: {} });
  });

  it('removing asks first; cancelling keeps the app', async () => {
    mounted = await mountWithQueryClient(<ProjectAppsSection project={projectOf('admin')} />);
    await until(() => expect(text()).toContain('Team notes'));
    await click(button('Remove Team notes'));
    expect(text()).toContain('Remove Team notes from the project?');
    await click(button('Cancel'));
    expect(requests.filter((request) => request.method === 'DELETE')).toEqual([]);

    await click(button('Remove Team notes'));
    await click(button('Yes, remove'));
    await until(() => expect(text()).toContain('App team-notes removed'));
    expect(requests.find((request) => request.method === 'DELETE')?.url).toBe('/api/apps/team-notes');
    await until(() => expect(text()).toContain('No apps in this project yet.'));
  });
});
