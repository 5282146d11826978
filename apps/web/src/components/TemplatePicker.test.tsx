// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { TemplatePicker } from './TemplatePicker';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

interface StoredTemplate {
  id: string;
  name: string;
  body: string;
  description: string | null;
  variables: string[];
}
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A small in-memory /api/templates that answers like the server, including the missing-variable 400. */
function fakeServer() {
  const templates: StoredTemplate[] = [
    {
      id: 't1',
      name: 'Translate',
      body: 'Translate {{text}} into {{language}}.',
      description: 'Any text, any language',
      variables: ['text', 'language'],
    },
  ];
  const requests: Array<{ method: string; url: string; body: unknown }> = [];
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    requests.push({ method, url, body });
    if (method === 'GET' && url.startsWith('/api/templates?')) return json(200, { templates, limit: 100, offset: 0 });
    if (method === 'POST' && url === '/api/templates') {
      const created = {
        id: `t${templates.length + 1}`,
        description: null,
        ...body,
        variables: [...(body.body as string).matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]),
      };
      templates.push(created);
      return json(201, created);
    }
    const render = /^\/api\/templates\/(\w+)\/render$/.exec(url);
    if (method === 'POST' && render) {
      const template = templates.find((entry) => entry.id === render[1]);
      if (!template) return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'template not found' } });
      const values = (body as { variables: Record<string, string> }).variables;
      const missing = template.variables.filter((name) => typeof values[name] !== 'string');
      if (missing.length > 0) {
        return json(400, {
          error: { code: 'SY_ERR_VALIDATION', message: `Missing template variables: ${missing.join(', ')}` },
        });
      }
      return json(200, { text: template.body.replace(/\{\{(\w+)\}\}/g, (_all, name: string) => values[name] ?? '') });
    }
    const remove = /^\/api\/templates\/(\w+)$/.exec(url);
    if (method === 'DELETE' && remove) {
      templates.splice(
        templates.findIndex((entry) => entry.id === remove[1]),
        1,
      );
      return new Response(null, { status: 204 });
    }
    return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: `no route ${method} ${url}` } });
  });
  return { templates, requests, fetch };
}

let server: ReturnType<typeof fakeServer>;
let container: HTMLDivElement;
let mounted: Mounted;
let inserted: string[];

const settle = () =>
  act(async () => {
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
  });

function button(name: string): HTMLButtonElement {
  const found = [...container.querySelectorAll('button')].find(
    (element) => (element.getAttribute('aria-label') ?? element.textContent?.trim()) === name,
  );
  if (!found) throw new Error(`no button "${name}"`);
  return found;
}

/** The control inside a <label> whose caption is `name` (the shared Field helper). */
function field(name: string): HTMLInputElement | HTMLTextAreaElement {
  const label = [...container.querySelectorAll('label')].find(
    (element) => element.querySelector('span')?.textContent === name,
  );
  const control = label?.querySelector('input, textarea');
  if (!control) throw new Error(`no field "${name}"`);
  return control as HTMLInputElement | HTMLTextAreaElement;
}

/** Sets a value the way typing does, so React's onChange sees it. */
async function type(control: HTMLInputElement | HTMLTextAreaElement, value: string) {
  await act(async () => {
    const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(control), 'value')?.set;
    setter?.call(control, value);
    control.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

const click = async (element: HTMLElement) => {
  await act(async () => element.click());
  await settle();
};
const dialog = () => container.querySelector('dialog') as HTMLDialogElement;

beforeEach(async () => {
  server = fakeServer();
  vi.stubGlobal('fetch', server.fetch);
  inserted = [];
  mounted = await mountWithQueryClient(<TemplatePicker onInsert={(text) => inserted.push(text)} />);
  ({ container } = mounted);
});

afterEach(async () => {
  await mounted.unmount();
  vi.unstubAllGlobals();
});

describe('TemplatePicker', () => {
  it('opens a labelled dialog listing templates with their descriptions, and Escape closes it', async () => {
    expect(dialog().open).toBe(false);
    await click(button('Templates'));
    expect(dialog().open).toBe(true);
    const title = document.getElementById(dialog().getAttribute('aria-labelledby') ?? '');
    expect(title?.textContent).toBe('Prompt templates');
    expect(dialog().textContent).toContain('Translate');
    expect(dialog().textContent).toContain('Any text, any language');
    expect(dialog().textContent).toContain('{{text}}, {{language}}');

    await act(async () => dialog().dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })));
    expect(dialog().open).toBe(false);
    expect(document.activeElement).toBe(button('Templates'));
  });

  it('asks for each variable and inserts the text the server renders with those values', async () => {
    await click(button('Templates'));
    await click(button('Use template Translate'));
    expect(dialog().textContent).toContain('Translate {{text}} into {{language}}.');
    await type(field('text'), 'good morning');
    await type(field('language'), 'French');
    await click(button('Insert'));

    const render = server.requests.find((entry) => entry.url === '/api/templates/t1/render');
    expect(render).toEqual({
      method: 'POST',
      url: '/api/templates/t1/render',
      body: { variables: { text: 'good morning', language: 'French' } },
    });
    expect(inserted).toEqual(['Translate good morning into French.']);
    expect(dialog().open).toBe(false);
  });

  it('shows the server naming a missing variable and marks that field', async () => {
    await click(button('Templates'));
    await click(button('Use template Translate'));
    await type(field('text'), 'good morning');
    await click(button('Insert'));

    const alert = dialog().querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('Invalid input');
    expect(alert?.textContent).toContain('Missing template variables: language');
    expect(field('language').getAttribute('aria-invalid')).toBe('true');
    expect(field('text').getAttribute('aria-invalid')).toBeNull();
    expect(inserted).toEqual([]);
    expect(dialog().open).toBe(true);
  });

  it('creates a template with name, description and body, then lists it', async () => {
    await click(button('Templates'));
    await type(field('Name'), 'Review');
    await type(field('Description (optional)'), 'Code review checklist');
    await type(field('Template text'), 'Review {{code}} for {{concern}}');
    expect(dialog().textContent).toContain('Variables: code, concern.');
    await act(async () =>
      (dialog().querySelector('form[aria-label="New template"]') as HTMLFormElement).requestSubmit(),
    );
    await settle();

    const create = server.requests.find((entry) => entry.method === 'POST' && entry.url === '/api/templates');
    expect(create?.body).toEqual({
      name: 'Review',
      description: 'Code review checklist',
      body: 'Review {{code}} for {{concern}}',
    });
    expect(dialog().textContent).toContain('Template saved.');
    expect(button('Use template Review')).toBeDefined();
    expect(field('Name').value).toBe('');
  });

  it('deletes a template after a confirmation', async () => {
    await click(button('Templates'));
    await click(button('Delete template Translate'));
    expect(server.requests.some((entry) => entry.method === 'DELETE')).toBe(false);
    await click(button('Confirm delete Translate'));
    expect(server.requests.find((entry) => entry.method === 'DELETE')?.url).toBe('/api/templates/t1');
    expect(dialog().textContent).toContain('No templates yet');
  });
});
