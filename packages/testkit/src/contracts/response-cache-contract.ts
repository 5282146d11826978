import type { ResponseCacheStore } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

/** Two handles on one shared cache (for Redis: two connections, as two API processes would have). */
export interface ResponseCacheHandles {
  first: ResponseCacheStore;
  second: ResponseCacheStore;
}

export interface ResponseCacheContractOptions {
  /** For a store with a bound on entries: a fresh one holding at most `maxEntries`. */
  openBounded?: (maxEntries: number) => Promise<ResponseCacheStore>;
}

/** A safety net against a hung test, never what decides an outcome. */
const safetyMs = 10_000;
const shortTtlMs = 150;
const longTtlMs = 60_000;

/** Polls until `key` is gone; fails only if it outlives the safety net. */
async function waitUntilExpired(store: ResponseCacheStore, key: string): Promise<void> {
  const deadline = Date.now() + safetyMs;
  while ((await store.get(key)) !== undefined) {
    if (Date.now() > deadline) throw new Error(`${key} was still cached ${safetyMs} ms later`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Behaviour every response cache store shares. `open` gives a fresh, empty
 * cache; two calls give two caches that share nothing.
 */
export function describeResponseCacheContract(
  backendName: string,
  open: () => Promise<ResponseCacheHandles>,
  options: ResponseCacheContractOptions = {},
): void {
  describe(`response cache contract: ${backendName}`, () => {
    it('returns what was stored, on every handle, and nothing for a key never stored', async () => {
      const { first, second } = await open();
      await first.set('a', 'value-a', longTtlMs);
      expect(await first.get('a')).toBe('value-a');
      expect(await second.get('a')).toBe('value-a');
      expect(await second.get('missing')).toBeUndefined();
    });

    it('replaces an entry stored again under the same key', async () => {
      const { first, second } = await open();
      await first.set('answer', 'old', longTtlMs);
      await second.set('answer', 'new', longTtlMs);
      expect(await first.get('answer')).toBe('new');
    });

    it('expires an entry after its TTL; a newer TTL for the same key replaces the old one', async () => {
      const { first, second } = await open();
      // Stored before `short` with the same TTL, so its first TTL ends no later than `short`'s.
      await first.set('renewed', 'old', shortTtlMs);
      const storedAt = Date.now();
      await first.set('short', 'soon gone', shortTtlMs);
      const early = await second.get('short');
      // Only conclusive if the machine did not stall past the TTL in between.
      if (Date.now() - storedAt < shortTtlMs) expect(early).toBe('soon gone');
      await first.set('renewed', 'new', longTtlMs);
      await first.set('long', 'stays', longTtlMs);
      await waitUntilExpired(second, 'short');
      expect(await first.get('short')).toBeUndefined();
      expect(await second.get('renewed')).toBe('new');
      expect(await second.get('long')).toBe('stays');
    });

    it('stores nothing for a TTL of zero or below, and leaves an earlier entry as it was', async () => {
      const { first } = await open();
      await first.set('zero', 'x', 0);
      await first.set('negative', 'x', -1000);
      expect(await first.get('zero')).toBeUndefined();
      expect(await first.get('negative')).toBeUndefined();
      await first.set('kept', 'earlier', longTtlMs);
      await first.set('kept', 'later', 0);
      expect(await first.get('kept')).toBe('earlier');
    });

    it('gives values back exactly: unicode, control characters, every byte value, empty, a megabyte', async () => {
      const { first, second } = await open();
      // Values are serialized answers (JSON text, which never holds a lone surrogate).
      const values: Record<string, string> = {
        unicode: 'héllo wörld — 你好 👋🏽 e\u0301 ﷽',
        control: 'nul\u0000 cr\r lf\n tab\t esc\u001b del\u007f',
        bytes: Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)).join(''),
        empty: '',
        json: JSON.stringify({ choices: [{ message: { role: 'assistant', content: '“quoted” \\ \n 🎉' } }] }),
        large: `${'a'.repeat(1024 * 1024)}🎉`,
      };
      for (const [key, value] of Object.entries(values)) await first.set(key, value, longTtlMs);
      for (const [key, value] of Object.entries(values)) expect(await second.get(key)).toBe(value);
    });

    it('keeps keys apart: similar keys, unicode keys, and another cache', async () => {
      const { first, second } = await open();
      const keys = ['a', 'A', 'a:b', 'a ', 'a\u0000', 'ключ', 'a'.repeat(64), 'f'.repeat(64)];
      for (const key of keys) await first.set(key, `value of ${JSON.stringify(key)}`, longTtlMs);
      for (const key of keys) expect(await second.get(key)).toBe(`value of ${JSON.stringify(key)}`);
      const other = await open();
      expect(await other.first.get('a')).toBeUndefined();
      await other.first.set('a', 'other cache', longTtlMs);
      expect(await first.get('a')).toBe(`value of ${JSON.stringify('a')}`);
    });

    it('stores concurrent writes from several handles without losing one', async () => {
      const { first, second } = await open();
      await Promise.all(
        Array.from({ length: 100 }, (_, index) =>
          (index % 2 ? first : second).set(`key-${index}`, `value-${index}`, longTtlMs),
        ),
      );
      const values = await Promise.all(Array.from({ length: 100 }, (_, index) => first.get(`key-${index}`)));
      expect(values).toEqual(Array.from({ length: 100 }, (_, index) => `value-${index}`));
    });

    const { openBounded } = options;
    if (!openBounded) return;
    it('evicts the least recently used entry beyond its bound', async () => {
      const store = await openBounded(2);
      await store.set('one', '1', longTtlMs);
      await store.set('two', '2', longTtlMs);
      await store.get('one');
      await store.set('three', '3', longTtlMs);
      expect(await store.get('two')).toBeUndefined();
      expect(await store.get('one')).toBe('1');
      expect(await store.get('three')).toBe('3');
    });
  });
}
