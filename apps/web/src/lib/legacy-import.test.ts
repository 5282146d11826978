import { describe, expect, it } from 'vitest';
import { importLegacyConversations } from './legacy-import';

class MemoryStorage implements Storage {
  map = new Map<string, string>();
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

/** What the old localStorage store wrote: newest first in the index, messages per conversation. */
function legacy(count: number, messageText = 'hello') {
  const storage = new MemoryStorage();
  const index = Array.from({ length: count }, (_, i) => ({
    id: `c${i}`,
    title: `Chat ${i}`,
    pinned: false,
    updatedAt: count - i,
  }));
  storage.setItem('switchyard.conversations', JSON.stringify(index));
  for (const entry of index) {
    storage.setItem(
      `switchyard.conversation.${entry.id}`,
      JSON.stringify([
        { id: 'a', role: 'user', content: `${messageText} ${entry.id}` },
        { id: 'b', role: 'assistant', content: 'answer', error: 'x' },
      ]),
    );
  }
  storage.setItem('switchyard.theme', 'dark');
  return storage;
}

describe('importLegacyConversations', () => {
  it('sends the old conversations to /api/chats/import, oldest first, then removes them', async () => {
    const storage = legacy(3);
    const posted: unknown[][] = [];
    const imported = await importLegacyConversations(storage, async (chats) => posted.push(chats));
    expect(imported).toBe(3);
    expect(posted).toEqual([
      [
        {
          title: 'Chat 2',
          messages: [
            { role: 'user', content: 'hello c2' },
            { role: 'assistant', content: 'answer' },
          ],
        },
        {
          title: 'Chat 1',
          messages: [
            { role: 'user', content: 'hello c1' },
            { role: 'assistant', content: 'answer' },
          ],
        },
        {
          title: 'Chat 0',
          messages: [
            { role: 'user', content: 'hello c0' },
            { role: 'assistant', content: 'answer' },
          ],
        },
      ],
    ]);
    expect([...storage.map.keys()]).toEqual(['switchyard.theme']);
    expect(await importLegacyConversations(storage, async () => posted.push([]))).toBe(0);
    expect(posted).toHaveLength(1);
  });

  it('splits into requests within the route limits (200 chats, under 1 MB)', async () => {
    const sizes: number[] = [];
    await importLegacyConversations(legacy(450), async (chats) => sizes.push(chats.length));
    expect(sizes).toEqual([200, 200, 50]);
    const bytes: number[] = [];
    await importLegacyConversations(legacy(30, 'x'.repeat(100_000)), async (chats) =>
      bytes.push(JSON.stringify(chats).length),
    );
    expect(bytes.length).toBeGreaterThan(3);
    expect(Math.max(...bytes)).toBeLessThan(1_000_000);
  });

  it('keeps what was not imported when the server refuses, to try again later', async () => {
    const storage = legacy(450);
    let calls = 0;
    await expect(
      importLegacyConversations(storage, async () => {
        if (++calls === 2) throw new Error('429');
      }),
    ).rejects.toThrow('429');
    expect(storage.getItem('switchyard.conversations')).not.toBeNull();
    // The first 200 (the oldest) went through and are gone; the rest are still there.
    expect(storage.getItem('switchyard.conversation.c449')).toBeNull();
    expect(storage.getItem('switchyard.conversation.c0')).not.toBeNull();
    const again: number[] = [];
    expect(await importLegacyConversations(storage, async (chats) => again.push(chats.length))).toBe(250);
    expect(again).toEqual([200, 50]);
  });
});
