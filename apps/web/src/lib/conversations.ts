import type {
  ConversationMessage,
  FolderList,
  RevokedShares,
  SearchHit,
  ShareLink,
  ChatSummary as StoredChatSummary,
  UpdateChatRequest,
} from '@switchyard/api-schemas';
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import { api } from './api';
import { chatPagePath, chatPageSize, firstMessagePage, messageRangePath, searchOf } from './early-requests';
import { t } from './i18n';
import { stripMarkdown } from './plain-text';
import { currentProjectId, projectParam } from './projects';

/**
 * Conversations live on the server (/api/chats, docs/chat-api.md); this module is the client
 * side: the row shapes, the requests, and the pure functions that apply a change to TanStack
 * Query's cached lists so the sidebar updates before the server answers (optimistic updates).
 */

export type ChatSummary = StoredChatSummary;
export type { SearchHit };

/**
 * A message as the server stores it; the fields the server fills in (status, model, ...) are
 * optional because the UI shows its own messages before the server has them.
 */
export type ChatMessage = Pick<ConversationMessage, 'id' | 'role' | 'content'> &
  Partial<
    Pick<
      ConversationMessage,
      | 'model'
      | 'status'
      | 'error'
      | 'attachments'
      | 'toolSteps'
      | 'createdAt'
      | 'promptTokens'
      | 'completionTokens'
      | 'durationMs'
      | 'parentId'
      | 'siblingIds'
      | 'siblingIndex'
      | 'siblingCount'
    >
  >;

/** What PATCH /api/chats/:id accepts. */
export type ChatFields = UpdateChatRequest;

/** Which list the sidebar shows: the server filters on folder and archived. */
export interface ChatFilter {
  folder?: string;
  archived: boolean;
}

export { chatPageSize, firstMessagePage };
export const messagePageSize = 500; // and for /api/chats/:id/messages

export const chatKeys = {
  lists: ['chats', 'list'] as const,
  list: (filter: ChatFilter) => ['chats', 'list', filter] as const,
  messages: (id: string) => ['chats', 'messages', id] as const,
  search: (q: string) => ['chats', 'search', q] as const,
  folders: ['chats', 'folders'] as const,
};

export type ChatPages = InfiniteData<ChatSummary[], number>;

/** `started`: this page's request, already sent at page load (early-requests.ts). */
export async function fetchChatPage(
  filter: ChatFilter,
  offset: number,
  started?: Promise<Response>,
): Promise<ChatSummary[]> {
  const body = await api<{ chats: ChatSummary[] }>(chatPagePath(filter, offset, currentProjectId()), {}, started);
  return body.chats;
}

/** The offset of the next page: what is loaded so far (creations and deletions keep it right), or none after a short page. */
export function nextChatOffset(lastPage: readonly ChatSummary[], pages: readonly ChatSummary[][]): number | undefined {
  if (lastPage.length < chatPageSize) return undefined;
  return pages.reduce((sum, page) => sum + page.length, 0);
}

/**
 * Every message of a chat, oldest first, in pages of 500. The first page shows whether there are
 * more; the rest are fetched a few at a time in parallel until a short page.
 */
/** How many older messages each "load older" adds. */
export const olderMessagePage = 200;

/** The open chat's messages loaded so far: the newest of its branch, with `before` older ones not loaded. */
export interface LoadedMessages {
  messages: ChatMessage[];
  before: number;
}

export interface MessagePageBody {
  messages: ChatMessage[];
  /** The branch's length (absent from a server older than `from=end`: then the page is all there is). */
  total?: number;
}

/** GET /api/chats/:id/messages: `from: 'end'` counts the offset back from the newest message. */
export async function fetchMessageRange(
  chatId: string,
  from: 'start' | 'end',
  offset: number,
  limit: number,
  started?: Promise<Response>,
): Promise<MessagePageBody> {
  return api<MessagePageBody>(messageRangePath(chatId, from, offset, limit), {}, started);
}

/**
 * The newest `count` messages of the chat (at least the first page), oldest first: the first
 * request learns the branch's length, the rest (when more than one page is wanted) go in parallel.
 */
export async function fetchNewestMessages(
  chatId: string,
  count = firstMessagePage,
  fetchPage: (offset: number, limit: number) => Promise<MessagePageBody> = (offset, limit) =>
    fetchMessageRange(chatId, 'end', offset, limit),
): Promise<LoadedMessages> {
  const wanted = Math.max(count, firstMessagePage);
  const first = await fetchPage(0, Math.min(wanted, messagePageSize));
  const pages = [first.messages];
  const total = first.total ?? first.messages.length;
  const upTo = Math.min(wanted, total);
  const offsets: number[] = [];
  for (let offset = messagePageSize; offset < upTo; offset += messagePageSize) offsets.push(offset);
  const rest = await Promise.all(offsets.map((offset) => fetchPage(offset, Math.min(messagePageSize, upTo - offset))));
  for (const page of rest) pages.push(page.messages);
  const messages = pages.reverse().flat();
  return { messages, before: Math.max(0, total - messages.length) };
}

/**
 * Puts the next older messages (counted from the start of the branch, so answers added meanwhile
 * do not shift them) before those loaded.
 */
export async function fetchOlderMessages(
  chatId: string,
  loaded: LoadedMessages,
  fetchPage: (offset: number, limit: number) => Promise<MessagePageBody> = (offset, limit) =>
    fetchMessageRange(chatId, 'start', offset, limit),
): Promise<LoadedMessages> {
  if (loaded.before <= 0) return loaded;
  const offset = Math.max(0, loaded.before - olderMessagePage);
  const page = await fetchPage(offset, loaded.before - offset);
  const known = new Set(loaded.messages.map((message) => message.id));
  const older = page.messages.filter((message) => !known.has(message.id));
  return { messages: [...older, ...loaded.messages], before: offset };
}

/** A page of the branch counted from its first message. */
export async function fetchMessagePage(chatId: string, offset: number): Promise<ChatMessage[]> {
  return (await fetchMessageRange(chatId, 'start', offset, messagePageSize)).messages;
}

export async function searchChats(q: string): Promise<SearchHit[]> {
  const body = await api<{ results: SearchHit[] }>(
    `/api/chats/search?${searchOf({ q, limit: 50, project: currentProjectId() ?? undefined })}`,
  );
  return body.results;
}

/** Every folder the user has named (GET /api/chats/folders), with its chat count. */
export const fetchFolders = async () => (await api<FolderList>(`/api/chats/folders${projectParam('?')}`)).folders;
export const getChat = (id: string) => api<ChatSummary>(`/api/chats/${encodeURIComponent(id)}`);
export const patchChat = (id: string, fields: ChatFields) =>
  api<ChatSummary>(`/api/chats/${encodeURIComponent(id)}`, { method: 'PATCH', json: fields });
export const deleteChat = (id: string) => api<void>(`/api/chats/${encodeURIComponent(id)}`, { method: 'DELETE' });
export const deleteMessage = (chatId: string, messageId: string) =>
  api<void>(`/api/chats/${encodeURIComponent(chatId)}/messages/${encodeURIComponent(messageId)}`, {
    method: 'DELETE',
  });
export const shareChat = (id: string) =>
  api<ShareLink>(`/api/chats/${encodeURIComponent(id)}/share`, { method: 'POST' });
export const revokeShares = (id: string) =>
  api<RevokedShares>(`/api/chats/${encodeURIComponent(id)}/share`, { method: 'DELETE' });
export const exportUrl = (id: string, format: 'json' | 'markdown') =>
  `/api/chats/${encodeURIComponent(id)}/export${format === 'markdown' ? '?format=markdown' : ''}`;

/** Shows another version: the branch through the message; answers with (up to 500 messages of) that branch. */
export async function activateBranch(chatId: string, messageId: string): Promise<ChatMessage[]> {
  const body = await api<{ messages: ChatMessage[] }>(`/api/chats/${encodeURIComponent(chatId)}/branch`, {
    method: 'POST',
    json: { messageId },
  });
  return body.messages;
}

/** Deletes messages a few at a time. */
export async function deleteMessages(chatId: string, ids: readonly string[], parallel = 6): Promise<void> {
  for (let i = 0; i < ids.length; i += parallel) {
    await Promise.all(ids.slice(i, i + parallel).map((id) => deleteMessage(chatId, id)));
  }
}

/** The server's order: pinned first, then most recently updated, then id (all descending). */
export function compareChats(a: ChatSummary, b: ChatSummary): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  const at = Date.parse(a.updatedAt);
  const bt = Date.parse(b.updatedAt);
  if (at !== bt) return bt - at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The loaded pages as one list in the server's order, each chat once (a page may overlap after changes). */
export function flattenChats(data: ChatPages | undefined): ChatSummary[] {
  if (!data) return [];
  const seen = new Set<string>();
  const list: ChatSummary[] = [];
  for (const page of data.pages) {
    for (const chat of page) {
      if (seen.has(chat.id)) continue;
      seen.add(chat.id);
      list.push(chat);
    }
  }
  return list.sort(compareChats);
}

export function matchesFilter(chat: ChatSummary, filter: ChatFilter): boolean {
  if (chat.archived !== filter.archived) return false;
  return filter.folder === undefined || chat.folder === filter.folder;
}

/**
 * One chat changed (or appeared): replace it where it is; drop it from a list whose filter it no
 * longer matches; put it on the first page of a list it now belongs to.
 */
export function upsertChat(data: ChatPages | undefined, filter: ChatFilter, chat: ChatSummary): ChatPages | undefined {
  if (!data) return data;
  const belongs = matchesFilter(chat, filter);
  let found = false;
  const pages = data.pages.map((page) => {
    if (!page.some((entry) => entry.id === chat.id)) return page;
    found = true;
    return belongs ? page.map((entry) => (entry.id === chat.id ? chat : entry)) : page.filter((e) => e.id !== chat.id);
  });
  if (!found && belongs) pages[0] = [chat, ...(pages[0] ?? [])];
  return { ...data, pages };
}

export function removeChat(data: ChatPages | undefined, id: string): ChatPages | undefined {
  if (!data) return data;
  return { ...data, pages: data.pages.map((page) => page.filter((entry) => entry.id !== id)) };
}

/** Applies a change to every cached chat list (each with its own filter); returns the old data to roll back. */
export function updateChatLists(
  client: QueryClient,
  change: (data: ChatPages | undefined, filter: ChatFilter) => ChatPages | undefined,
): Array<[readonly unknown[], ChatPages | undefined]> {
  const previous = client.getQueriesData<ChatPages>({ queryKey: chatKeys.lists });
  for (const [key, data] of previous) {
    const filter = key[2] as ChatFilter;
    client.setQueryData(key, change(data, filter));
  }
  return previous;
}

export function findChat(client: QueryClient, id: string): ChatSummary | undefined {
  for (const [, data] of client.getQueriesData<ChatPages>({ queryKey: chatKeys.lists })) {
    for (const page of data?.pages ?? []) {
      const chat = page.find((entry) => entry.id === id);
      if (chat) return chat;
    }
  }
  return undefined;
}

/** Folder names seen in the loaded lists, sorted. */
export function knownFolders(client: QueryClient): string[] {
  const folders = new Set<string>();
  for (const [, data] of client.getQueriesData<ChatPages>({ queryKey: chatKeys.lists })) {
    for (const page of data?.pages ?? []) for (const chat of page) if (chat.folder) folders.add(chat.folder);
  }
  return [...folders].sort((a, b) => a.localeCompare(b));
}

/** Titles come from the first line, like the server's (60 characters). */
export function titleFrom(text: string): string {
  const flat = stripMarkdown(text);
  if (flat.length === 0) return t('sidebar.newChat');
  return flat.length <= 60 ? flat : `${flat.slice(0, 59).trimEnd()}…`;
}

export function filterByTitle(list: readonly ChatSummary[], q: string): ChatSummary[] {
  const needle = q.trim().toLowerCase();
  return needle ? list.filter((chat) => chat.title.toLowerCase().includes(needle)) : [...list];
}

export const localId = () =>
  `local-${typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`}`;
