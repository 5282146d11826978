export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  error?: string;
}

export interface ConversationSummary {
  id: string;
  title: string;
  pinned: boolean;
  updatedAt: number;
  model?: string;
}

/**
 * Where conversations live. Today: localStorage in this browser. A server-backed store
 * (/api/chats) can implement the same interface later without touching the screens.
 */
export interface ConversationStore {
  list(): ConversationSummary[];
  messages(id: string): ChatMessage[];
  upsert(summary: ConversationSummary, messages?: ChatMessage[]): void;
  remove(id: string): void;
  subscribe(listener: () => void): () => void;
}

const indexKey = 'switchyard.conversations';
const messagesKey = (id: string) => `switchyard.conversation.${id}`;

export function createLocalStore(storage: Storage = localStorage): ConversationStore {
  let index: ConversationSummary[] = read<ConversationSummary[]>(storage, indexKey) ?? [];
  const listeners = new Set<() => void>();
  const emit = () => {
    for (const listener of listeners) listener();
  };
  const persist = () => storage.setItem(indexKey, JSON.stringify(index));
  return {
    list: () => index,
    messages: (id) => read<ChatMessage[]>(storage, messagesKey(id)) ?? [],
    upsert(summary, messages) {
      const position = index.findIndex((entry) => entry.id === summary.id);
      index = position === -1 ? [summary, ...index] : index.map((entry, i) => (i === position ? summary : entry));
      persist();
      if (messages) storage.setItem(messagesKey(summary.id), JSON.stringify(messages));
      emit();
    },
    remove(id) {
      index = index.filter((entry) => entry.id !== id);
      persist();
      storage.removeItem(messagesKey(id));
      emit();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function read<T>(storage: Storage, key: string): T | null {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

/** Pinned first, then newest; filtered by a case-insensitive title search. */
export function sortAndFilter(list: readonly ConversationSummary[], query: string): ConversationSummary[] {
  const needle = query.trim().toLowerCase();
  const matching = needle ? list.filter((entry) => entry.title.toLowerCase().includes(needle)) : [...list];
  return matching.sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updatedAt - a.updatedAt);
}

export function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || 'New chat';
}

export const newId = () =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
