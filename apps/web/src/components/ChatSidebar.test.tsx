// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatSummary } from '../lib/conversations';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { ChatSidebar } from './ChatSidebar';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A fake /api/chats with 250 chats; PATCH and DELETE wait until the test lets them answer. */
function fakeServer() {
  const base = Date.UTC(2026, 0, 1);
  const chats: ChatSummary[] = Array.from({ length: 250 }, (_, i) => ({
    id: `c${String(i).padStart(3, '0')}`,
    title: `Chat ${i}`,
    model: null,
    projectId: null,
    createdBy: 'u1',
    folder: i === 5 ? 'Work' : i === 240 ? 'Taxes' : null,
    tags: [],
    pinned: false,
    archived: false,
    systemPrompt: null,
    parameters: {},
    assistantId: null,
    activeLeafId: null,
    createdAt: new Date(base).toISOString(),
    updatedAt: new Date(base - i * 1000).toISOString(),
  }));
  const requests: string[] = [];
  const held: Array<{ resolve(response: Response): void; method: string; url: string; body: unknown }> = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    requests.push(`${method} ${url}`);
    if (method === 'GET' && url.startsWith('/api/chats?')) {
      const params = new URL(url, 'http://x').searchParams;
      const offset = Number(params.get('offset'));
      const limit = Number(params.get('limit'));
      const folder = params.get('folder');
      const list = chats.filter((chat) => folder === null || chat.folder === folder);
      return json(200, { chats: list.slice(offset, offset + limit), limit, offset });
    }
    if (method === 'GET' && url.startsWith('/api/chats/search')) return json(200, { results: [] });
    if (method === 'GET' && url === '/api/chats/folders') {
      const counts = new Map<string, number>();
      for (const chat of chats) if (chat.folder) counts.set(chat.folder, (counts.get(chat.folder) ?? 0) + 1);
      return json(200, { folders: [...counts].map(([name, count]) => ({ name, chats: count })) });
    }
    return new Promise<Response>((resolve) =>
      held.push({ resolve, method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined }),
    );
  });
  return { chats, requests, held, fetchMock };
}

let container: HTMLDivElement;
let mounted: Mounted;
let server: ReturnType<typeof fakeServer>;
const selected: string[] = [];

const rowTitles = () =>
  [
    ...container.querySelectorAll(
      '[data-testid="conversation-list"] li button[aria-current], [data-testid="conversation-list"] li > button:first-child',
    ),
  ].map((button) => button.textContent);
/** A row action: opens the row's "Actions for …" menu, then finds the item. */
async function action(label: string): Promise<HTMLButtonElement> {
  const title = label
    .replace(/^(Pin|Unpin|Rename|Archive|Unarchive|Delete) /, '')
    .replace(/^Move (.*) to a folder$/, '$1');
  const opener = container.querySelector<HTMLButtonElement>(`button[aria-label="Actions for ${title}"]`);
  if (!opener) throw new Error(`no row ${title}`);
  await act(async () => opener.click());
  const found = container.querySelector<HTMLButtonElement>(`[role="menu"] button[aria-label="${label}"]`);
  if (!found) throw new Error(`no menu item ${label}`);
  return found;
}

beforeEach(async () => {
  // happy-dom does no layout: give the scrolling list the size it has in a browser.
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(260);
  server = fakeServer();
  vi.stubGlobal('fetch', server.fetchMock);
  vi.stubGlobal('confirm', () => true);
  mounted = await mountWithQueryClient(
    <ChatSidebar activeId={null} onSelect={(id) => selected.push(id)} onNew={() => {}} />,
  );
  ({ container } = mounted);
  await until(() => expect(rowTitles()[0]).toBe('Chat 0'));
});

afterEach(async () => {
  await mounted.unmount();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('ChatSidebar (server-backed)', () => {
  it('shows the first page virtualized and loads the next pages as the list scrolls', async () => {
    expect(server.requests.filter((r) => r.startsWith('GET /api/chats?'))).toEqual([
      'GET /api/chats?limit=100&offset=0&archived=false',
    ]);
    expect(rowTitles()[0]).toBe('Chat 0');
    expect(rowTitles().length).toBeLessThan(50); // a window, not 100 rows
    expect(container.querySelector('[data-testid="conversation-count"]')?.textContent).toContain('100+');

    const list = container.querySelector('[data-testid="conversation-list"]') as HTMLDivElement;
    await act(async () => {
      list.scrollTop = 100 * 40 - 800;
      list.dispatchEvent(new Event('scroll'));
    });
    await until(() => expect(server.requests).toContain('GET /api/chats?limit=100&offset=100&archived=false'));
    await until(() =>
      expect(container.querySelector('[data-testid="conversation-count"]')?.textContent).toContain('200+'),
    );
    expect(container.querySelector('[data-testid="conversation-count"]')?.textContent).toContain('200+');
  });

  it('pins at once, sends PATCH, and puts the list back when the server refuses', async () => {
    const menuItem = await action('Pin Chat 3');
    await act(async () => menuItem.click());
    await until(() => expect(rowTitles()[0]).toBe('📌 Chat 3')); // before the server answered
    const patch = server.held.at(-1);
    expect(patch).toMatchObject({ method: 'PATCH', url: '/api/chats/c003', body: { pinned: true } });
    await act(async () => patch?.resolve(json(429, { error: { code: 'SY_ERR_RATE_LIMITED', message: 'slow down' } })));
    await until(() => expect(rowTitles()[0]).toBe('Chat 0'));
    expect(rowTitles()[3]).toBe('Chat 3');
    await until(() => expect(container.querySelector('[role="alert"]')?.textContent).toContain('Too many requests'));
  });

  it('renames and deletes optimistically and keeps the server answer', async () => {
    const rename = await action('Rename Chat 2');
    await act(async () => rename.click());
    const input = container.querySelector<HTMLInputElement>('input[aria-label="New title"]');
    if (!input) throw new Error('no rename input');
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
      setter?.call(input, 'Trip ideas');
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    // Renaming touches updatedAt on the server, so the chat moves to the top right away.
    await until(() => expect(rowTitles()[0]).toBe('Trip ideas'));
    const patch = server.held.at(-1);
    expect(patch).toMatchObject({ method: 'PATCH', url: '/api/chats/c002', body: { title: 'Trip ideas' } });
    const stored = { ...server.chats[2], title: 'Trip ideas (server)', updatedAt: new Date().toISOString() };
    await act(async () => patch?.resolve(json(200, stored)));
    await until(() => expect(rowTitles()[0]).toBe('Trip ideas (server)'));

    const remove = await action('Delete Chat 0');
    await act(async () => remove.click());
    await until(() => expect(rowTitles()).not.toContain('Chat 0'));
    expect(server.held.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/chats/c000' });
  });

  it('moves a chat to a folder and filters by folder on the server', async () => {
    const menuItem = await action('Move Chat 1 to a folder');
    await act(async () => menuItem.click());
    const input = container.querySelector<HTMLInputElement>('input[list="chat-folders"]');
    if (!input) throw new Error('no folder input');
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
      setter?.call(input, 'Work');
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    await until(() =>
      expect(server.held.at(-1)).toMatchObject({ method: 'PATCH', url: '/api/chats/c001', body: { folder: 'Work' } }),
    );
    const select = container.querySelector<HTMLSelectElement>('select[aria-label="Show folder"]');
    await until(() => expect([...(select?.options ?? [])].map((option) => option.textContent)).toContain('🗀 Work'));
    await act(async () => {
      if (!select) return;
      select.value = 'Work';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await until(() =>
      expect(server.requests).toContain('GET /api/chats?limit=100&offset=0&archived=false&folder=Work'),
    );
    await until(() => expect(rowTitles()).toEqual(['Chat 5']));
  });

  it('offers every folder the server knows, also those of chats not loaded yet', async () => {
    await until(() => expect(server.requests).toContain('GET /api/chats/folders'));
    const options = () =>
      [...(container.querySelector<HTMLSelectElement>('select[aria-label="Show folder"]')?.options ?? [])].map(
        (option) => option.textContent,
      );
    await until(() => expect(options()).toContain('🗀 Taxes'));
    // Chat 240 (folder "Taxes") is on the third page, which has not been fetched.
    expect(server.requests.filter((request) => request.includes('offset=200'))).toEqual([]);
    expect(options()).toContain('🗀 Work');
  });
});
