import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  type ChatPages,
  type ChatSummary,
  chatKeys,
  chatPageSize,
  compareChats,
  fetchAllMessages,
  filterByTitle,
  findChat,
  flattenChats,
  knownFolders,
  messagePageSize,
  nextChatOffset,
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

describe('fetchAllMessages', () => {
  const message = (i: number): ChatMessage => ({ id: `m${i}`, role: i % 2 ? 'assistant' : 'user', content: `${i}` });
  const server = (total: number) => {
    const offsets: number[] = [];
    const fetchPage = async (offset: number) => {
      offsets.push(offset);
      return Array.from({ length: Math.max(0, Math.min(messagePageSize, total - offset)) }, (_, i) =>
        message(offset + i),
      );
    };
    return { offsets, fetchPage };
  };

  it('loads a short chat with one request', async () => {
    const fake = server(12);
    expect(await fetchAllMessages('c', fake.fetchPage)).toHaveLength(12);
    expect(fake.offsets).toEqual([0]);
  });

  it('loads 2,000 messages in order, the later pages in parallel', async () => {
    const fake = server(2_000);
    const all = await fetchAllMessages('c', fake.fetchPage, 4);
    expect(all).toHaveLength(2_000);
    expect(all.map((m) => m.id)).toEqual(Array.from({ length: 2_000 }, (_, i) => `m${i}`));
    expect(fake.offsets).toEqual([0, 500, 1000, 1500, 2000]);
  });

  it('keeps going past the first parallel batch', async () => {
    const fake = server(3_100);
    const all = await fetchAllMessages('c', fake.fetchPage, 2);
    expect(all).toHaveLength(3_100);
    expect(new Set(all.map((m) => m.id)).size).toBe(3_100);
  });
});
