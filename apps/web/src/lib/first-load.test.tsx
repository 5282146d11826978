// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { until } from '../testing/until';
import { fetchChatPage, type LoadedMessages } from './conversations';
import { firstLoadMeta, firstLoadScriptId, startFirstRequests } from './early-requests';
import { prefetchFirstLoad } from './first-load';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const now = '2026-12-04T10:00:00.000Z';
const chat = {
  id: 'chat_1',
  title: 'The long one',
  model: null,
  projectId: null,
  createdBy: 'u1',
  folder: null,
  tags: [],
  pinned: true,
  archived: false,
  systemPrompt: null,
  parameters: {},
  assistantId: null,
  activeLeafId: 'm2000',
  createdAt: now,
  updatedAt: now,
};
const message = (n: number) => ({
  id: `m${n}`,
  conversationId: 'chat_1',
  parentId: n > 1 ? `m${n - 1}` : null,
  role: n % 2 === 0 ? 'assistant' : 'user',
  content: n % 2 === 0 ? `Answer ${n}` : `Question ${n}`,
  model: null,
  status: 'complete',
  error: null,
  promptTokens: null,
  completionTokens: null,
  firstTokenMs: null,
  durationMs: null,
  attachments: [],
  toolSteps: [],
  siblingIds: [`m${n}`],
  createdAt: now,
});

/** GET requests the page made, as "path?query"; the four the first load needs are held until released. */
let requests: string[];
let held: Map<string, () => void>;
const heldPaths = ['/api/me', '/api/chats', '/api/chats/chat_1/messages'];

function answer(url: URL): Response {
  const path = url.pathname;
  if (path === '/api/me') return json(200, { id: 'u1', email: 'a@example.com', name: 'A', role: 'user' });
  if (path === '/api/chats') return json(200, { chats: [chat], limit: 100, offset: 0 });
  if (path === '/api/chats/chat_1/messages') {
    // The newest 100 of a 2,000-message branch (from=end), oldest of them first.
    const offset = Number(url.searchParams.get('offset'));
    const limit = Number(url.searchParams.get('limit'));
    const messages = Array.from({ length: limit }, (_, i) => message(2000 - offset - limit + 1 + i));
    return json(200, { messages, limit, offset, total: 2000, from: 'end' });
  }
  if (path === '/api/chats/folders') return json(200, { folders: [] });
  if (path === '/v1/chat/models') return json(200, { default: 'smart', models: [] });
  if (path === '/api/apps') return json(200, { apps: [] });
  if (path === '/api/files/limits') return json(200, { maxBytes: 1000, maxFiles: 5 });
  if (path === '/api/notifications') return json(200, { notifications: [], unread: 0 });
  if (path === '/v1/projects') return json(200, { projects: [] });
  if (path === '/v1/models') return json(200, { object: 'list', data: [] });
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: `no route ${path}` } });
}

let root: Root | null;
let container: HTMLDivElement;

beforeEach(() => {
  requests = [];
  held = new Map();
  root = null;
  container = document.createElement('div');
  document.body.append(container);
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(800);
  // The header's notification bell listens for new ones; nothing arrives here.
  vi.stubGlobal(
    'EventSource',
    class {
      addEventListener() {}
      close() {}
    },
  );
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const url = new URL(input, 'http://localhost');
      if ((init.method ?? 'GET') === 'GET') requests.push(`${url.pathname}${url.search}`);
      if (!heldPaths.includes(url.pathname)) return answer(url);
      return new Promise<Response>((resolve) => held.set(url.pathname, () => resolve(answer(url))));
    }),
  );
});

afterEach(async () => {
  const mounted = root;
  if (mounted) await act(async () => mounted.unmount());
  container.remove();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const client = () => new QueryClient({ defaultOptions: { queries: { retry: false } } });
const gets = (path: string) => requests.filter((entry) => entry.split('?')[0] === path);

describe('the first requests', () => {
  const address = { pathname: '/chat', search: '?chat=chat_1' };
  const firstThree = [
    '/api/me',
    '/api/chats?limit=100&offset=0&archived=false',
    '/api/chats/chat_1/messages?limit=100&offset=0&from=end',
  ];

  it('boot starts the account, the first page of chats and the newest messages at once; the queries take them', async () => {
    startFirstRequests(address, null);
    // All three are on their way before any of them answered: no request waits for another.
    expect(requests).toEqual(firstThree);
    const shared = client();
    prefetchFirstLoad(shared, address);
    expect(requests).toEqual(firstThree);
    await act(async () => {
      for (const release of held.values()) release();
    });
    const loaded = await until(() => {
      const data = shared.getQueryData<LoadedMessages>(['chats', 'messages', 'chat_1']);
      if (!data) throw new Error('not loaded yet');
      return data;
    });
    expect(loaded.messages).toHaveLength(100);
    expect(loaded.messages.at(-1)?.content).toBe('Answer 2000');
    expect(loaded.before).toBe(1900);
    expect(shared.getQueryData(['me'])).toMatchObject({ id: 'u1' });
    expect(requests).toEqual(firstThree);
  });

  it('without boot, prefetchFirstLoad sends the same three itself, at once', () => {
    prefetchFirstLoad(client(), address);
    expect(requests).toEqual(firstThree);
    expect([...held.keys()]).toHaveLength(3);
  });

  it('takes the responses the server sent with the page and sends none of the three', async () => {
    const meta = document.createElement('meta');
    meta.name = firstLoadMeta;
    meta.content = 'inline';
    document.head.append(meta);
    const script = document.createElement('script');
    script.type = 'application/json';
    script.id = firstLoadScriptId;
    const messages = [message(1999), message(2000)];
    script.textContent = JSON.stringify({
      '/api/me': { status: 200, body: { id: 'u1', email: 'a@example.com', name: 'A', role: 'user' } },
      '/api/chats?limit=100&offset=0&archived=false': { status: 200, body: { chats: [chat], limit: 100, offset: 0 } },
      '/api/chats/chat_1/messages?limit=100&offset=0&from=end': {
        status: 200,
        body: { messages, limit: 100, offset: 0, total: 2, from: 'end' },
      },
    });
    document.body.append(script);
    try {
      startFirstRequests(address, null);
      const shared = client();
      await prefetchFirstLoad(shared, address);
      const loaded = await until(() => {
        const data = shared.getQueryData<LoadedMessages>(['chats', 'messages', 'chat_1']);
        if (!data) throw new Error('not loaded yet');
        return data;
      });
      expect(loaded.messages.map((entry) => entry.content)).toEqual(['Question 1999', 'Answer 2000']);
      expect(shared.getQueryData(['me'])).toMatchObject({ id: 'u1' });
      expect(requests).toEqual([]);
      // Taken once: the element is gone, and a later request for the same list goes to the server.
      expect(document.getElementById(firstLoadScriptId)).toBeNull();
      const page = fetchChatPage({ archived: false }, 0);
      expect(gets('/api/chats')).toHaveLength(1);
      await act(async () => {
        for (const release of held.values()) release();
      });
      await page;
    } finally {
      meta.remove();
      script.remove();
    }
  });

  it('asks for them itself when the page promised responses and carries none (the server gave up)', async () => {
    const meta = document.createElement('meta');
    meta.name = firstLoadMeta;
    meta.content = 'inline';
    document.head.append(meta);
    try {
      startFirstRequests(address, null);
      expect(requests).toEqual([]);
      prefetchFirstLoad(client(), address);
      expect(requests).toEqual(firstThree);
    } finally {
      meta.remove();
    }
  });

  it('elsewhere asks for the account only', () => {
    startFirstRequests({ pathname: '/', search: '' }, null);
    prefetchFirstLoad(client(), { pathname: '/', search: '' });
    expect(requests).toEqual(['/api/me']);
  });

  it("asks for the chosen project's chats", () => {
    startFirstRequests({ pathname: '/chat', search: '' }, 'prj_1');
    expect(requests).toEqual(['/api/me', '/api/chats?limit=100&offset=0&archived=false&project=prj_1']);
  });

  it('an early response nobody took is dropped, never handed to a later request', async () => {
    startFirstRequests(address, null);
    prefetchFirstLoad(client(), { pathname: '/', search: '' });
    const page = fetchChatPage({ archived: false }, 0);
    expect(gets('/api/chats')).toHaveLength(2);
    await act(async () => {
      for (const release of held.values()) release();
    });
    expect((await page).map((entry) => entry.id)).toEqual(['chat_1']);
  });

  it('the app on /chat uses the prefetched requests (none sent twice) and shows the newest messages', async () => {
    history.replaceState(null, '', '/chat?chat=chat_1');
    startFirstRequests(location, null);
    const shared = client();
    prefetchFirstLoad(shared, location);
    root = createRoot(container);
    const mounted = root;
    await act(async () =>
      mounted.render(
        <QueryClientProvider client={shared}>
          <App />
        </QueryClientProvider>,
      ),
    );
    // The app mounted while the three were still unanswered; now they answer.
    await act(async () => {
      for (const release of held.values()) release();
    });
    const articles = await until(() => {
      const found = [...container.querySelectorAll('[data-testid="message-list"] article')];
      if (found.length === 0) throw new Error('no messages yet');
      return found;
    });
    expect(articles.at(-1)?.textContent).toContain('Answer 2000');
    await until(() => {
      if (!container.querySelector('[data-testid="conversation-list"] li')) throw new Error('no chats yet');
    });
    expect(container.querySelector('[data-testid="conversation-list"] li')?.textContent).toContain('The long one');
    expect(gets('/api/me')).toHaveLength(1);
    expect(gets('/api/chats')).toHaveLength(1);
    expect(gets('/api/chats/chat_1/messages')).toHaveLength(1);
  });

  it("with the chat page's code already run, the page shows without a loading placeholder in between", async () => {
    // A page revealed after a Suspense fallback waits for React's fallback throttle (300 ms): a page
    // whose code has run renders in the first commit (one whose code is still coming shows the same
    // placeholder as part of the page, not as the fallback: App.tsx's usePageCode).
    // A fresh App module: an earlier test's render has already settled this module's lazy chat page.
    vi.resetModules();
    const fresh = await import('../App');
    await fresh.preload('/chat');
    const FreshApp = fresh.App;
    history.replaceState(null, '', '/chat?chat=chat_1');
    const shared = client();
    shared.setQueryData(['me'], { id: 'u1', email: 'a@example.com', name: 'A', role: 'user' });
    const statuses: string[] = [];
    const observer = new MutationObserver(() => {
      for (const status of container.querySelectorAll('[role="status"]')) statuses.push(status.textContent ?? '');
    });
    observer.observe(container, { childList: true, subtree: true, characterData: true });
    root = createRoot(container);
    const mounted = root;
    let firstCommit: Element | null = null;
    await act(async () => {
      // Rendered synchronously: a page that suspended would commit its fallback here.
      flushSync(() =>
        mounted.render(
          <QueryClientProvider client={shared}>
            <FreshApp />
          </QueryClientProvider>,
        ),
      );
      firstCommit = container.querySelector('[data-testid="conversation-list"]');
    });
    // The page itself is there in the first commit (its lists still waiting for their data).
    expect(firstCommit).not.toBeNull();
    await act(async () => {
      for (const release of held.values()) release();
    });
    await until(() => {
      if (!container.querySelector('[data-testid="message-list"] article')) throw new Error('no messages yet');
    });
    observer.disconnect();
    expect(statuses.filter((text) => text.includes('Opening the chat'))).toEqual([]);
  });

  it('the requests the first paint does not need go out the frame after the page is drawn, not with it', async () => {
    // Fresh modules: the hold (first-paint.ts) is the page's, released once.
    vi.resetModules();
    const paint = await import('./first-paint');
    const fresh = await import('../App');
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => frames.push(callback));
    vi.stubGlobal('cancelAnimationFrame', () => {});
    let streams = 0;
    vi.stubGlobal(
      'EventSource',
      class {
        constructor() {
          streams++;
        }
        addEventListener() {}
        close() {}
      },
    );
    paint.holdUntilFirstPaint();
    await fresh.preload('/chat');
    const FreshApp = fresh.App;
    history.replaceState(null, '', '/chat?chat=chat_1');
    const shared = client();
    shared.setQueryData(['me'], { id: 'u1', email: 'a@example.com', name: 'A', role: 'user' });
    root = createRoot(container);
    const mounted = root;
    await act(async () =>
      mounted.render(
        <QueryClientProvider client={shared}>
          <FreshApp />
        </QueryClientProvider>,
      ),
    );
    await act(async () => {
      for (const release of held.values()) release();
    });
    await until(() => {
      if (!container.querySelector('[data-testid="message-list"] article')) throw new Error('no messages yet');
      if (!container.querySelector('[data-testid="conversation-list"] li')) throw new Error('no chats yet');
    });
    const later = [
      '/v1/projects',
      '/api/notifications',
      '/api/chats/folders',
      '/v1/chat/models',
      '/api/apps',
      '/api/files/limits',
      '/v1/models',
    ];
    // The page is drawn with its rows; no frame has been painted yet, and none of the others was sent.
    expect(later.flatMap(gets)).toEqual([]);
    expect(streams).toBe(0);
    expect(gets('/api/chats/chat_1/messages')).toHaveLength(1);
    // The frame is painted: each goes out once.
    await act(async () => {
      for (const frame of frames.splice(0)) frame(performance.now());
    });
    await until(() => {
      for (const path of later)
        if (gets(path).length !== 1) throw new Error(`${path} not sent once: ${requests.join(' ')}`);
    });
    expect(streams).toBe(1);
  });
});
