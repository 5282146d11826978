import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { readChatsOnce } from './conversation-store';

let server: TestServer;
let alice: Browser;
let bob: Browser;

beforeAll(async () => {
  server = await startTestServer();
  alice = (await signUpUser(server.url, 'alice')).browser;
  bob = (await signUpUser(server.url, 'bob')).browser;
});

afterAll(async () => {
  await server?.destroy();
});

async function createChat(browser: Browser, body: Record<string, unknown> = {}) {
  const response = await browser.post('/api/chats', body);
  expect(response.status, await response.clone().text()).toBe(201);
  return readJson(response);
}

async function addMessage(browser: Browser, chatId: string, role: string, content: string) {
  const response = await browser.post(`/api/chats/${chatId}/messages`, { role, content });
  expect(response.status, await response.clone().text()).toBe(201);
  return readJson(response);
}

describe('chats', () => {
  it('creates, lists, updates and deletes chats, and needs a session', async () => {
    expect((await fetch(`${server.url}/api/chats`)).status).toBe(401);
    const chat = await createChat(alice, { title: 'Plans', folder: 'work', tags: ['q3'], model: 'echo' });
    expect(chat).toMatchObject({ title: 'Plans', folder: 'work', tags: ['q3'], pinned: false, archived: false });
    expect(chat.userId).toBeUndefined();

    const patched = await alice.request('PATCH', `/api/chats/${chat.id}`, { body: { pinned: true, title: 'Plans 2' } });
    expect(await readJson(patched)).toMatchObject({ pinned: true, title: 'Plans 2' });
    const byTag = await readJson(await alice.get('/api/chats?tag=q3'));
    expect(byTag.chats.map((row: { id: string }) => row.id)).toEqual([chat.id]);

    expect((await alice.request('DELETE', `/api/chats/${chat.id}`)).status).toBe(204);
    expect((await alice.get(`/api/chats/${chat.id}`)).status).toBe(404);
  });

  it("reads a chat list and a chat's messages for nobody at start (readChatsOnce) and changes nothing", async () => {
    const before = await readJson(await alice.get('/api/chats'));
    await readChatsOnce(server.parts.databases.prod.db);
    expect(await readJson(await alice.get('/api/chats'))).toEqual(before);
  });

  it('paginates with a capped limit', async () => {
    const { browser } = await signUpUser(server.url, 'pager');
    for (let index = 0; index < 5; index++) await createChat(browser, { title: `chat ${index}` });
    const first = await readJson(await browser.get('/api/chats?limit=2'));
    const second = await readJson(await browser.get('/api/chats?limit=2&offset=2'));
    const third = await readJson(await browser.get('/api/chats?limit=2&offset=4'));
    const ids = [...first.chats, ...second.chats, ...third.chats].map((chat: { id: string }) => chat.id);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect((await browser.get('/api/chats?limit=101')).status).toBe(400);
    expect((await browser.get('/api/chats?limit=abc')).status).toBe(400);
  });

  it('rejects mass assignment: userId, role or environment in a body is a 400 and nothing is stored', async () => {
    const { id: bobId } = await signUpUser(server.url, 'victim');
    for (const extra of [{ userId: bobId }, { environment: 'dev' }, { id: 'chat_chosen' }]) {
      const response = await alice.post('/api/chats', { title: 'sneaky', ...extra });
      expect(response.status).toBe(400);
    }
    const chat = await createChat(alice, { title: 'mine' });
    const patch = await alice.request('PATCH', `/api/chats/${chat.id}`, { body: { userId: bobId } });
    expect(patch.status).toBe(400);
    const message = await alice.post(`/api/chats/${chat.id}/messages`, { role: 'user', content: 'x', userId: bobId });
    expect(message.status).toBe(400);
    const template = await alice.post('/api/templates', { name: 't', body: 'b', userId: bobId });
    expect(template.status).toBe(400);
    const list = await readJson(await alice.get('/api/chats?limit=100'));
    expect(list.chats.some((row: { title: string }) => row.title === 'sneaky')).toBe(false);
  });
});

describe('search', () => {
  it("finds one's own messages only", async () => {
    const mine = await createChat(alice, { title: 'Sailing' });
    await addMessage(alice, mine.id, 'user', 'How do the tides of the harbour work?');
    await addMessage(alice, mine.id, 'assistant', 'The moon pulls the water.');
    const theirs = await createChat(bob, { title: 'Bob sailing' });
    await addMessage(bob, theirs.id, 'user', 'Secret harbour tides for bob');

    const results = await readJson(await alice.get(`/api/chats/search?q=${encodeURIComponent('harbour tides')}`));
    expect(results.results.length).toBe(1);
    expect(results.results[0]).toMatchObject({ chatId: mine.id, role: 'user' });
    const phrase = await readJson(await alice.get(`/api/chats/search?q=${encodeURIComponent('"moon pulls" -sun')}`));
    expect(phrase.results.map((hit: { chatId: string }) => hit.chatId)).toEqual([mine.id]);
    const none = await readJson(await alice.get('/api/chats/search?q=bob'));
    expect(none.results).toEqual([]);
  });
});

describe('export and import', () => {
  it('exports JSON and Markdown and imports the JSON back', async () => {
    const chat = await createChat(alice, { title: 'Recipe', tags: ['food'] });
    await addMessage(alice, chat.id, 'user', 'How long do I boil an egg?');
    await addMessage(alice, chat.id, 'assistant', 'About nine minutes.');

    const markdown = await alice.get(`/api/chats/${chat.id}/export?format=markdown`);
    expect(markdown.headers.get('content-type')).toContain('text/markdown');
    const text = await markdown.text();
    expect(text).toContain('# Recipe');
    expect(text).toContain('## user\n\nHow long do I boil an egg?');

    const exported = await readJson(await alice.get(`/api/chats/${chat.id}/export`));
    expect(exported.chats[0].messages).toHaveLength(2);
    const imported = await alice.post('/api/chats/import', exported);
    expect(imported.status).toBe(201);
    const { chatIds } = await readJson(imported);
    const copy = await readJson(await alice.get(`/api/chats/${chatIds[0]}`));
    expect(copy).toMatchObject({ title: 'Recipe', tags: ['food'] });
    const messages = await readJson(await alice.get(`/api/chats/${chatIds[0]}/messages`));
    expect(messages.messages.map((message: { content: string }) => message.content)).toEqual([
      'How long do I boil an egg?',
      'About nine minutes.',
    ]);
  });

  it("imports ChatGPT's conversations.json, following the branch that was shown", async () => {
    const node = (id: string, parent: string | null, children: string[], role: string | null, text?: string) => ({
      id,
      parent,
      children,
      message: role
        ? { id, author: { role }, create_time: 1_700_000_000, content: { content_type: 'text', parts: [text] } }
        : null,
    });
    const conversation = {
      title: 'From ChatGPT',
      create_time: 1_700_000_000,
      current_node: 'a2',
      mapping: {
        root: node('root', null, ['sys'], null),
        sys: node('sys', 'root', ['u1'], 'system', ''),
        u1: node('u1', 'sys', ['a1', 'a2'], 'user', 'Name a colour'),
        a1: node('a1', 'u1', [], 'assistant', 'Red (discarded answer)'),
        a2: node('a2', 'u1', [], 'assistant', 'Blue'),
      },
    };
    const response = await alice.post('/api/chats/import', [conversation]);
    expect(response.status, await response.clone().text()).toBe(201);
    const { chatIds } = await readJson(response);
    const messages = await readJson(await alice.get(`/api/chats/${chatIds[0]}/messages`));
    expect(
      messages.messages.map((message: { role: string; content: string }) => [message.role, message.content]),
    ).toEqual([
      ['user', 'Name a colour'],
      ['assistant', 'Blue'],
    ]);
  });
});

describe('folders', () => {
  it("lists your own folders with their chat counts, archived chats included, never anyone else's", async () => {
    const carol = (await signUpUser(server.url, 'carol')).browser;
    const dave = (await signUpUser(server.url, 'dave')).browser;
    await createChat(carol, { title: 'a', folder: 'Recipes' });
    await createChat(carol, { title: 'b', folder: 'Recipes', archived: true });
    await createChat(carol, { title: 'c', folder: 'Bills' });
    await createChat(carol, { title: 'd' });
    await createChat(dave, { title: 'e', folder: 'Secret plans' });

    const folders = await readJson(await carol.get('/api/chats/folders'));
    expect(folders).toEqual({
      folders: [
        { name: 'Bills', chats: 1 },
        { name: 'Recipes', chats: 2 },
      ],
    });
    expect((await readJson(await dave.get('/api/chats/folders'))).folders).toEqual([
      { name: 'Secret plans', chats: 1 },
    ]);
    expect((await fetch(`${server.url}/api/chats/folders`)).status).toBe(401);
  });
});

describe('share links', () => {
  it('are readable without an account until revoked', async () => {
    const chat = await createChat(alice, { title: 'Shared' });
    await addMessage(alice, chat.id, 'user', 'public question');
    const shared = await alice.post(`/api/chats/${chat.id}/share`);
    expect(shared.status).toBe(201);
    const { token, path, url } = await readJson(shared);
    expect(path).toBe(`/api/share/${token}`);
    expect(url).toBe(`/share/${token}`);
    // The page is the web app (or its build hint when the app was not built), never an API 404.
    expect((await fetch(`${server.url}${url}`)).headers.get('content-type')).toContain('text/html');

    const anonymous = await fetch(`${server.url}/api/share/${token}`);
    expect(anonymous.status).toBe(200);
    const body = await readJson(anonymous);
    expect(body).toMatchObject({ title: 'Shared', messages: [{ role: 'user', content: 'public question' }] });
    expect(JSON.stringify(body)).not.toContain(chat.id);

    expect((await bob.request('DELETE', `/api/chats/${chat.id}/share`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/share/${token}`)).status).toBe(200);
    expect(await readJson(await alice.request('DELETE', `/api/chats/${chat.id}/share`))).toEqual({ revoked: 1 });
    expect((await fetch(`${server.url}/api/share/${token}`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/share/not-a-real-token-at-all`)).status).toBe(404);
  });
});
