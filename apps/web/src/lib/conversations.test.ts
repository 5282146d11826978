import { describe, expect, it } from 'vitest';
import { type ConversationSummary, createLocalStore, sortAndFilter, titleFrom } from './conversations';

class MemoryStorage implements Storage {
  private map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  key(index: number) {
    return [...this.map.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
}

const summary = (id: string, title: string, updatedAt: number, pinned = false): ConversationSummary => ({
  id,
  title,
  updatedAt,
  pinned,
});

describe('conversations', () => {
  it('sorts pinned first, then newest, and filters by title', () => {
    const list = [summary('a', 'Alpha', 1), summary('b', 'Beta', 3), summary('c', 'Gamma', 2, true)];
    expect(sortAndFilter(list, '').map((entry) => entry.id)).toEqual(['c', 'b', 'a']);
    expect(sortAndFilter(list, 'ALP').map((entry) => entry.id)).toEqual(['a']);
  });

  it('stores, renames, lists and deletes through localStorage', () => {
    const storage = new MemoryStorage();
    const store = createLocalStore(storage);
    let changes = 0;
    store.subscribe(() => changes++);
    store.upsert(summary('a', 'First', 1), [{ id: 'm', role: 'user', content: 'hi' }]);
    store.upsert({ ...summary('a', 'Renamed', 2) });
    expect(createLocalStore(storage).list()).toEqual([summary('a', 'Renamed', 2)]);
    expect(store.messages('a')).toEqual([{ id: 'm', role: 'user', content: 'hi' }]);
    store.remove('a');
    expect(store.list()).toEqual([]);
    expect(store.messages('a')).toEqual([]);
    expect(changes).toBe(3);
  });

  it('makes titles from the first line', () => {
    expect(titleFrom('  Hello\nworld')).toBe('Hello');
    expect(titleFrom('x'.repeat(100))).toHaveLength(58);
    expect(titleFrom('')).toBe('New chat');
  });
});
