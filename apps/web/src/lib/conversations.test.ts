import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  type ChatPages,
  type ChatSummary,
  chatKeys,
  chatPageSize,
  compareChats,
  fetchNewestMessages,
  fetchOlderMessages,
  filterByTitle,
  findChat,
  firstMessagePage,
  flattenChats,
  knownFolders,
  nextChatOffset,
  olderMessagePage,
  removeChat,
  titleFrom,
  updateChatLists,
  upsertChat,
} from './conversations';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();
const chat = (id: string, updated: number, extra: Partial<ChatSummary> = {}): ChatSummary => ({
  id,
  projectId: null,
  createdBy: 'u1',
  title: `Chat ${id}`,
  model: null,
  folder: null,
  tags: [],
  systemPrompt: null,
  parameters: {},
  assistantId: null,
  activeLeafId: null,
  pinned: false,
  archived: false,
  createdAt: at(0),
  updatedAt: at(updated),
  ...extra,
});
const pages = (...list: ChatSummary[][]): ChatPages => ({ pages: list, pageParams: list.map((_, i) => i * 100) });
const ids = (list: readonly ChatSummary[]) => list.map((entry) => entry.id);

describe('chat list order and paging', () => {
  it('sorts like the server: pinned first, then most recently updated, then id', () => {
    const list = [chat('a', 1), chat('b', 3), chat('c', 2, { pinned: true }), chat('d', 3)];
    expect(ids([...list].sort(compareChats))).toEqual(['c', 'd', 'b', 'a']);
  });

  it('flattens pages in order, each chat once even when pages overlap after a change', () => {
    const data = pages([chat('x', 9), chat('a', 5)], [chat('a', 5), chat('b', 4)]);
    expect(ids(flattenChats(data))).toEqual(['x', 'a', 'b']);
    expect(flattenChats(undefined)).toEqual([]);
  });

  it('asks for the next page at the number of chats loaded, none after a short page', () => {
    const full = Array.from({ length: chatPageSize }, (_, i) => chat(`c${i}`, i));
    expect(nextChatOffset(full, [full])).toBe(100);
    // A chat created since (prepended) or deleted shifts the offset so no chat is skipped or repeated.
    expect(nextChatOffset(full, [[chat('new', 999), ...full]])).toBe(101);
    expect(nextChatOffset(full, [full.slice(1)])).toBe(99);
    expect(nextChatOffset(full.slice(0, 10), [full, full.slice(0, 10)])).toBeUndefined();
  });

  it('filters by title, case-insensitively', () => {
    const list = [chat('a', 1, { title: 'Deploy plan' }), chat('b', 2, { title: 'SQL question' })];
    expect(ids(filterByTitle(list, 'DEPLOY'))).toEqual(['a']);
    expect(ids(filterByTitle(list, '  '))).toEqual(['a', 'b']);
  });

  it('makes titles like the server', () => {
    expect(titleFrom('  Hello\n  world ')).toBe('Hello world');
    expect(titleFrom('x'.repeat(100))).toHaveLength(60);
    expect(titleFrom('')).toBe('New chat');
  });
});

describe('optimistic changes to cached lists', () => {
  it('replaces a changed chat where it is and re-sorts it', () => {
    const data = pages([chat('a', 3), chat('b', 2)], [chat('c', 1)]);
    const pinned = upsertChat(data, { archived: false }, { ...chat('c', 1), pinned: true });
    expect(ids(flattenChats(pinned))).toEqual(['c', 'a', 'b']);
    expect(pinned?.pages.map((page) => page.length)).toEqual([2, 1]); // page sizes (offsets) unchanged
  });

  it('drops a chat from a list whose filter it leaves, and adds it to the one it joins', () => {
    const all = pages([chat('a', 3), chat('b', 2)]);
    const moved = { ...chat('b', 4), folder: 'Work' };
    expect(ids(flattenChats(upsertChat(all, { archived: false }, moved)))).toEqual(['b', 'a']);
    const home = pages([chat('h', 1, { folder: 'Home' }), chat('b', 2, { folder: 'Home' })]);
    expect(ids(flattenChats(upsertChat(home, { archived: false, folder: 'Home' }, moved)))).toEqual(['h']);
    const work = pages([chat('w', 1, { folder: 'Work' })]);
    expect(ids(flattenChats(upsertChat(work, { archived: false, folder: 'Work' }, moved)))).toEqual(['b', 'w']);
    const archived = { ...chat('a', 5), archived: true };
    expect(ids(flattenChats(upsertChat(all, { archived: false }, archived)))).toEqual(['b']);
    expect(ids(flattenChats(upsertChat(pages([]), { archived: true }, archived)))).toEqual(['a']);
  });

  it('removes a chat from every page', () => {
    expect(ids(flattenChats(removeChat(pages([chat('a', 2)], [chat('b', 1)]), 'b')))).toEqual(['a']);
  });

  it('applies a change to every cached list with its own filter and hands back the old data', () => {
    const client = new QueryClient();
    client.setQueryData(chatKeys.list({ archived: false }), pages([chat('a', 2), chat('b', 1, { folder: 'Work' })]));
    client.setQueryData(chatKeys.list({ archived: false, folder: 'Work' }), pages([chat('b', 1, { folder: 'Work' })]));
    const renamed = { ...chat('b', 5, { folder: 'Work' }), title: 'Renamed' };
    const previous = updateChatLists(client, (data, filter) => upsertChat(data, filter, renamed));
    expect(findChat(client, 'b')?.title).toBe('Renamed');
    expect(ids(flattenChats(client.getQueryData(chatKeys.list({ archived: false }))))).toEqual(['b', 'a']);
    expect(knownFolders(client)).toEqual(['Work']);
    for (const [key, data] of previous) client.setQueryData(key, data); // what a rollback does
    expect(findChat(client, 'b')?.title).toBe('Chat b');
  });
});

describe('loading a chat newest first', () => {
  const message = (i: number): ChatMessage => ({ id: `m${i}`, role: i % 2 ? 'assistant' : 'user', content: `${i}` });
  /** The server's GET /api/chats/:id/messages over a branch of `total` messages. */
  const server = (total: number) => {
    const calls: Array<{ from: 'start' | 'end'; offset: number; limit: number }> = [];
    const page = (from: 'start' | 'end') => async (offset: number, limit: number) => {
      calls.push({ from, offset, limit });
      const start = from === 'end' ? Math.max(0, total - offset - limit) : offset;
      const end = from === 'end' ? Math.max(0, total - offset) : Math.min(total, offset + limit);
      return { messages: Array.from({ length: Math.max(0, end - start) }, (_, i) => message(start + i)), total };
    };
    return { calls, end: page('end'), start: page('start') };
  };
  const ids = (loaded: { messages: ChatMessage[] }) => loaded.messages.map((m) => m.id);

  it('opens a short chat with one request and nothing left to load', async () => {
    const fake = server(12);
    const loaded = await fetchNewestMessages('c', 0, fake.end);
    expect(ids(loaded)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
    expect(loaded.before).toBe(0);
    expect(fake.calls).toEqual([{ from: 'end', offset: 0, limit: firstMessagePage }]);
  });

  it('opens 2,000 messages with only the newest page, oldest first', async () => {
    const fake = server(2_000);
    const loaded = await fetchNewestMessages('c', 0, fake.end);
    expect(ids(loaded)).toEqual(Array.from({ length: firstMessagePage }, (_, i) => `m${2_000 - firstMessagePage + i}`));
    expect(loaded.before).toBe(2_000 - firstMessagePage);
    expect(fake.calls).toHaveLength(1);
  });

  it('loads older pages from the start of the branch until none are left', async () => {
    const fake = server(2_000);
    let loaded = await fetchNewestMessages('c', 0, fake.end);
    loaded = await fetchOlderMessages('c', loaded, fake.start);
    expect(loaded.before).toBe(2_000 - firstMessagePage - olderMessagePage);
    expect(fake.calls.at(-1)).toEqual({ from: 'start', offset: loaded.before, limit: olderMessagePage });
    while (loaded.before > 0) loaded = await fetchOlderMessages('c', loaded, fake.start);
    expect(ids(loaded)).toEqual(Array.from({ length: 2_000 }, (_, i) => `m${i}`));
    const calls = fake.calls.length;
    expect(await fetchOlderMessages('c', loaded, fake.start)).toBe(loaded);
    expect(fake.calls).toHaveLength(calls);
  });

  it('refetches as many newest messages as were loaded, the pages after the first in parallel', async () => {
    const fake = server(3_100);
    const loaded = await fetchNewestMessages('c', 1_300, fake.end);
    expect(ids(loaded)).toEqual(Array.from({ length: 1_300 }, (_, i) => `m${1_800 + i}`));
    expect(loaded.before).toBe(1_800);
    expect(fake.calls.map((call) => [call.offset, call.limit])).toEqual([
      [0, 500],
      [500, 500],
      [1000, 300],
    ]);
  });
});
