// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { AssistantForm } from './AssistantForm';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const app = (id: string, name: string) => ({
  id,
  name,
  description: `${name} app`,
  kind: 'builtin',
  status: 'ok',
  skills: [],
  focus_modes: [],
});
const file = (id: string, name: string, status = 'ready') => ({
  id,
  name,
  mimeType: 'text/plain',
  bytes: 10,
  status,
  error: null,
  extractedCharacters: 10,
  createdAt: '2026-12-03T08:00:00.000Z',
  finishedAt: null,
});

let posted: unknown[];
let created: Array<{ id: string }>;
let mounted: Mounted;

beforeEach(async () => {
  posted = [];
  created = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const path = new URL(input, 'http://localhost').pathname;
      if (path === '/v1/chat/models') return json(200, { default: 'fast', models: [{ id: 'fast' }, { id: 'smart' }] });
      if (path === '/api/apps') return json(200, { apps: [app('web', 'Web'), app('images', 'Images')] });
      if (path === '/api/files') {
        return json(200, {
          files: [file('f1', 'notes.txt'), file('f2', 'pending.pdf', 'pending')],
          limit: 100,
          offset: 0,
        });
      }
      if (path === '/api/assistants' && init.method === 'POST') {
        const body = JSON.parse(String(init.body));
        posted.push(body);
        if (body.name === 'taken') {
          return json(409, { error: { code: 'SY_ERR_CONFLICT', message: 'An assistant with that name exists' } });
        }
        return json(201, { id: 'a1', ...body });
      }
      return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: path } });
    }),
  );
  mounted = await mountWithQueryClient(
    <AssistantForm
      model="smart"
      parameters={{ temperature: 0.4 }}
      onCreated={(assistant) => created.push(assistant)}
    />,
  );
  await until(() => expect(checkbox('notes.txt')).toBeDefined());
});

afterEach(async () => {
  await mounted.unmount();
  vi.unstubAllGlobals();
});

const field = (label: string) =>
  [...mounted.container.querySelectorAll('label')]
    .find((element) => element.querySelector('span')?.textContent === label)
    ?.querySelector('input, textarea, select') as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
const checkbox = (label: string) =>
  [...mounted.container.querySelectorAll('label')]
    .find((element) => element.textContent?.trim() === label)
    ?.querySelector('input') as HTMLInputElement | undefined;
const text = () => mounted.container.textContent ?? '';

async function type(element: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, value: string) {
  await act(async () => {
    const prototype = Object.getPrototypeOf(element);
    Object.getOwnPropertyDescriptor(prototype, 'value')?.set?.call(element, value);
    element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}
const submit = () =>
  act(async () => {
    (mounted.container.querySelector('button[type="submit"]') as HTMLButtonElement).click();
  });

describe('the assistant form', () => {
  it("starts from the chat's model and parameters and offers apps and only the files that are ready", () => {
    expect(field('Model').value).toBe('smart');
    expect(field('Temperature').value).toBe('0.4');
    expect(field('Top P').value).toBe('');
    expect(checkbox('Web')).toBeDefined();
    expect(checkbox('Images')).toBeDefined();
    expect(checkbox('pending.pdf')).toBeUndefined();
  });

  it('says what is wrong with each field and sends nothing until it is right', async () => {
    await type(field('Temperature'), '3');
    await type(field('Max tokens'), '1.5');
    await submit();
    expect(text()).toContain('Give the assistant a name.');
    expect(text()).toContain('Write its instructions.');
    expect(text()).toContain('A number from 0 to 2.');
    expect(text()).toContain('A whole number from 1 to 1000000.');
    expect(field('Temperature').getAttribute('aria-invalid')).toBe('true');
    expect(posted).toEqual([]);

    await type(field('Name'), 'Reviewer');
    await type(field('Instructions'), 'Review the code.');
    await type(field('Temperature'), '0.2');
    await type(field('Max tokens'), '800');
    expect(text()).not.toContain('Give the assistant a name.');
    expect(text()).not.toContain('A number from 0 to 2.');
  });

  it('creates the assistant with the model, parameters, apps and files chosen', async () => {
    await type(field('Name'), ' Researcher ');
    await type(field('Instructions'), 'Cite sources.');
    await type(field('Model'), 'fast');
    await type(field('Top P'), '0.9');
    await type(field('Max tokens'), '1200');
    await act(async () => checkbox('Web')?.click());
    await act(async () => checkbox('notes.txt')?.click());
    await submit();
    await until(() => expect(created).toHaveLength(1));
    expect(posted).toEqual([
      {
        name: 'Researcher',
        instructions: 'Cite sources.',
        model: 'fast',
        parameters: { temperature: 0.4, topP: 0.9, maxTokens: 1200 },
        apps: ['web'],
        files: ['f1'],
      },
    ]);
    // The form starts over for the next one.
    expect(field('Name').value).toBe('');
    expect(checkbox('Web')?.checked).toBe(false);
  });

  it("shows the server's refusal", async () => {
    await type(field('Name'), 'taken');
    await type(field('Instructions'), 'Anything.');
    await submit();
    await until(() => expect(text()).toContain('An assistant with that name exists'));
    expect(created).toEqual([]);
  });
});
