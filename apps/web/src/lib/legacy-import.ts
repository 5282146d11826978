import { api } from './api';

/**
 * Before issue 6 the web app kept conversations in this browser's localStorage
 * (`switchyard.conversations` plus `switchyard.conversation.<id>`). On first use of the
 * server-backed chat they are imported with POST /api/chats/import (at most 200 chats and about
 * 900 kB per request, under the route's limits), then removed from the browser. A failed import
 * leaves them in place to be tried again on the next visit.
 */
const indexKey = 'switchyard.conversations';
const messagesKey = (id: string) => `switchyard.conversation.${id}`;
const maximumChats = 200;
const maximumBytes = 900_000;

interface LegacySummary {
  id: string;
  title?: string;
  model?: string;
}
interface LegacyMessage {
  role?: string;
  content?: string;
}
interface ImportChat {
  title: string;
  model?: string;
  messages: Array<{ role: 'user' | 'assistant'; content: string }>;
}

function read<T>(storage: Storage, key: string): T | null {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

/** Returns how many chats were imported (0 when there was nothing to import). */
export async function importLegacyConversations(
  storage: Storage = localStorage,
  post: (chats: ImportChat[]) => Promise<unknown> = (chats) =>
    api('/api/chats/import', { method: 'POST', json: { chats } }),
): Promise<number> {
  const index = read<LegacySummary[]>(storage, indexKey);
  if (!Array.isArray(index)) return 0;
  // Oldest first, so the newest ends up on top of the server's list (most recently updated).
  const chats: Array<{ id: string; chat: ImportChat }> = [];
  for (const summary of [...index].reverse()) {
    if (!summary || typeof summary.id !== 'string') continue;
    const messages = (read<LegacyMessage[]>(storage, messagesKey(summary.id)) ?? []).flatMap(
      (message): ImportChat['messages'] =>
        (message.role === 'user' || message.role === 'assistant') &&
        typeof message.content === 'string' &&
        message.content
          ? [{ role: message.role, content: message.content }]
          : [],
    );
    if (messages.length === 0) continue;
    chats.push({
      id: summary.id,
      chat: {
        title: (summary.title ?? '').slice(0, 200) || 'Imported chat',
        ...(summary.model ? { model: summary.model } : {}),
        messages,
      },
    });
  }
  let batch: typeof chats = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await post(batch.map((entry) => entry.chat));
    for (const entry of batch) storage.removeItem(messagesKey(entry.id));
    batch = [];
    bytes = 0;
  };
  for (const entry of chats) {
    const size = JSON.stringify(entry.chat).length;
    if (batch.length > 0 && (batch.length >= maximumChats || bytes + size > maximumBytes)) await flush();
    batch.push(entry);
    bytes += size;
  }
  await flush();
  for (const summary of index)
    if (summary && typeof summary.id === 'string') storage.removeItem(messagesKey(summary.id));
  storage.removeItem(indexKey);
  return chats.length;
}
