// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { ChatPage } from './Chat';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const apps = {
  apps: [
    {
      id: 'clock',
      name: 'Clock',
      description: 'Time and sums',
      kind: 'mcp',
      status: 'ok',
      skills: [{ name: 'add', description: 'Adds', input_schema: {} }],
      focus_modes: [{ id: 'maths', name: 'Maths', description: 'Adds numbers', skills: ['add'], model: 'precise' }],
    },
  ],
};

const storedAnswer = {
  id: 'm2',
  conversationId: 'chat_1',
  role: 'assistant',
  content: 'The sum is 5',
  model: 'smart',
  status: 'complete',
  error: null,
  promptTokens: 1,
  completionTokens: 1,
  firstTokenMs: 1,
  durationMs: 1,
  attachments: [],
  toolSteps: [
    { id: 'call_1', app: 'clock', skill: 'add', input: { a: 2, b: 3 }, output: '5', isError: false, durationMs: 12 },
  ],
  createdAt: '2026-11-22T10:00:01.000Z',
};

let requests: Array<{ method: string; path: string; body: unknown }>;
/** The answer stream: the test pushes its events one by one. */
let stream: ReadableStreamDefaultController<Uint8Array>;
let eventId: number;
/** When set, POST /api/chat/start answers this instead of starting a session. */
let startRefusal: Response | null = null;

function push(event: string, data: unknown) {
  eventId += 1;
  stream.enqueue(new TextEncoder().encode(`id: ${eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
}

function route(method: string, url: URL): Response {
  const path = url.pathname;
  if (path === '/v1/chat/models') {
    return json(200, {
      default: 'smart',
      models: [
        { id: 'smart', label: 'Smart', description: '', provider: 'x' },
        { id: 'precise', label: 'Precise', description: '', provider: 'x' },
      ],
    });
  }
  if (path === '/api/apps') return json(200, apps);
  if (path === '/api/files/limits') return json(200, { maxBytes: 1000, maxFiles: 5 });
  if (path === '/api/chats/folders') return json(200, { folders: [] });
  if (path === '/api/chats' && method === 'GET') return json(200, { chats: [], limit: 100, offset: 0 });
  if (path === '/api/chat/start' && startRefusal) return startRefusal;
  if (path === '/api/chat/start') return json(201, { sessionId: 'cs_1', chatId: 'chat_1', messageId: 'm2' });
  if (path === '/api/chat/stream') {
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          stream = controller;
        },
      }),
      { status: 200, headers: { 'content-type': 'text/event-stream' } },
    );
  }
  if (path === '/api/chats/chat_1/messages') {
    const question = { ...storedAnswer, id: 'm1', role: 'user', content: 'please add', toolSteps: [] };
    return json(200, { messages: [question, storedAnswer], limit: 500, offset: 0 });
  }
  if (path === '/api/chats/chat_1') {
    const now = '2026-11-22T10:00:00.000Z';
    return json(200, {
      id: 'chat_1',
      title: 'please add',
      model: 'smart',
      folder: null,
      tags: [],
      pinned: false,
      archived: false,
      createdAt: now,
      updatedAt: now,
    });
  }
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: `no route ${method} ${path}` } });
}

let mounted: Mounted;
let container: HTMLDivElement;
/** What React reported through console.error (a state update during another component's render, …). */
let reactErrors: string[];

beforeEach(async () => {
  requests = [];
  reactErrors = [];
  const report = console.error;
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    reactErrors.push(parts.map(String).join(' '));
    report(...parts);
  });
  eventId = 0;
  startRefusal = null;
  history.replaceState(null, '', '/chat');
  // happy-dom does no layout: the message list needs a size to show its rows.
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(800);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const url = new URL(input, 'http://localhost');
      requests.push({ method, path: url.pathname, body: typeof init.body === 'string' ? JSON.parse(init.body) : null });
      return route(method, url);
    }),
  );
  mounted = await mountWithQueryClient(<ChatPage />);
  ({ container } = mounted);
});

afterEach(async () => {
  await mounted.unmount();
  // The first Read aloud button builds the model-kinds query while rendering; the page must not react to that.
  expect(reactErrors.filter((message) => message.includes('Cannot update a component'))).toEqual([]);
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const waitFor = (check: () => unknown) =>
  until(() => {
    const result = check();
    if (!result) throw new Error('not there yet');
    return result;
  });
const buttonNamed = (name: string) =>
  [...container.querySelectorAll('button')].find((element) => element.textContent?.trim() === name);
const steps = () => [...container.querySelectorAll('[aria-label="Tool steps"] li')] as HTMLElement[];

describe('chat with apps', () => {
  it('sends the chosen apps and focus mode (with its model), shows each tool step live, then the stored steps', async () => {
    const appsButton = (await waitFor(() => buttonNamed('Apps'))) as HTMLButtonElement;
    await act(async () => appsButton.click());
    const checkbox = container.querySelector('input[type="checkbox"]') as HTMLInputElement;
    expect(checkbox.closest('label')?.textContent).toContain('Clock');
    await act(async () => checkbox.click());
    expect(buttonNamed('Apps (1)')).toBeDefined();
    const focus = container.querySelector('select[aria-label="Focus mode"]') as HTMLSelectElement;
    expect([...focus.options].map((option) => option.textContent)).toEqual(['No focus mode', 'Clock: Maths']);
    await act(async () => {
      focus.value = 'clock/maths';
      focus.dispatchEvent(new Event('change', { bubbles: true }));
    });
    // The mode prefers a model: it is chosen unless one was picked by hand.
    expect((container.querySelector('select[aria-label="Model"]') as HTMLSelectElement).value).toBe('precise');

    const composer = container.querySelector('textarea[aria-label="Message"]') as HTMLTextAreaElement;
    await act(async () => {
      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set?.call(composer, 'please add');
      composer.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => buttonNamed('Send')?.click());
    await waitFor(() => requests.some((entry) => entry.path === '/api/chat/stream'));
    expect(requests.find((entry) => entry.path === '/api/chat/start')?.body).toEqual({
      model: 'precise',
      message: 'please add',
      apps: ['clock'],
      focus: 'clock/maths',
    });

    await act(async () => {
      push('start', { sessionId: 'cs_1', chatId: 'chat_1', messageId: 'm2', model: 'smart' });
      push('tool_call', { type: 'tool_call', id: 'call_1', app: 'clock', skill: 'add', input: { a: 2, b: 3 } });
    });
    const running = (await waitFor(() => steps()[0])) as HTMLElement;
    expect(running.dataset.status).toBe('running');
    expect(running.querySelector('summary')?.textContent).toContain('clock / add');
    expect(running.querySelector('summary')?.textContent).toContain('running…');
    expect(running.querySelector('details')?.textContent).toContain('"a": 2');

    await act(async () =>
      push('tool_result', {
        type: 'tool_result',
        id: 'call_1',
        app: 'clock',
        skill: 'add',
        output: '5',
        is_error: false,
        duration_ms: 12.4,
      }),
    );
    await waitFor(() => steps()[0]?.dataset.status === 'ok');
    expect(steps()[0]?.querySelector('summary')?.textContent).toContain('12 ms');
    expect(steps()[0]?.querySelector('details')?.textContent).toContain('Output5');

    await act(async () => {
      push('delta', { content: 'The sum is 5' });
      push('done', { messageId: 'm2', status: 'complete', finish_reason: 'stop', usage: null });
      stream.close();
    });
    // The stored answer replaces the live one and keeps its steps (what a reload shows).
    await waitFor(() => requests.some((entry) => entry.path === '/api/chats/chat_1/messages'));
    await waitFor(() => container.textContent?.includes('The sum is 5') && buttonNamed('Send'));
    expect(steps()).toHaveLength(1);
    expect(steps()[0]?.dataset.status).toBe('ok');
    expect(steps()[0]?.textContent).toContain('clock / add');
  });

  it('sends no apps when none are chosen', async () => {
    await waitFor(() => buttonNamed('Apps'));
    const composer = container.querySelector('textarea[aria-label="Message"]') as HTMLTextAreaElement;
    await act(async () => {
      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set?.call(composer, 'hello');
      composer.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => buttonNamed('Send')?.click());
    await waitFor(() => requests.some((entry) => entry.path === '/api/chat/start'));
    expect(requests.find((entry) => entry.path === '/api/chat/start')?.body).toEqual({
      model: 'smart',
      message: 'hello',
    });
    await act(async () => {
      push('done', { messageId: 'm2', status: 'complete', finish_reason: 'stop', usage: null });
      stream.close();
    });
    await waitFor(() => buttonNamed('Send'));
  });
});

describe('a used-up budget', () => {
  it('says so, with the time it resets, when the chat is refused with 402', async () => {
    startRefusal = json(402, {
      error: {
        code: 'SY_ERR_BUDGET_EXCEEDED',
        message: "The token budget of 1000 tokens per day of plan 'free' is used up in prod",
        resets_at: '2026-12-04T00:00:00.000Z',
      },
    });
    await waitFor(() => buttonNamed('Send'));
    const composer = container.querySelector('textarea[aria-label="Message"]') as HTMLTextAreaElement;
    await act(async () => {
      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set?.call(composer, 'hello');
      composer.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => buttonNamed('Send')?.click());
    const alert = (await waitFor(() => container.querySelector('[role="alert"]'))) as HTMLElement;
    expect(alert.textContent).toMatch(/^Budget used up Your plan's budget is used up until .*2026/);
  });
});
