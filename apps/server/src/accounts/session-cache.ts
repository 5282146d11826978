/**
 * A per-process memo of "this session token belongs to this user, with this
 * role", kept for at most `ttlMs`. It spares the database a lookup on every
 * chat request of a signed-in user; `clear()` runs on every account change
 * here and on every change notification from other processes, so sign-out and
 * role changes apply on the next request anywhere.
 */
export interface SessionCache<Value> {
  get(token: string): { value: Value } | undefined;
  /** Bumped by every clear(). */
  readonly generation: number;
  /** Stores only if nothing was cleared since `generation` was read, so a lookup racing a change is not kept. */
  set(token: string, value: Value, generation: number): void;
  clear(): void;
}

export function createSessionCache<Value>(
  options: { ttlMs: number; maxEntries: number },
  now = Date.now,
): SessionCache<Value> {
  let entries = new Map<string, { value: Value; until: number }>();
  let generation = 0;
  return {
    get(token) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.until <= now()) {
        entries.delete(token);
        return undefined;
      }
      return { value: entry.value };
    },
    get generation() {
      return generation;
    },
    set(token, value, seenGeneration) {
      if (seenGeneration !== generation) return;
      if (entries.size >= options.maxEntries) entries = new Map();
      entries.set(token, { value, until: now() + options.ttlMs });
    },
    clear() {
      generation += 1;
      entries = new Map();
    },
  };
}
