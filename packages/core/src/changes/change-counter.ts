/**
 * A number shared by every process that only goes up: a writer bumps it after a change is
 * committed (a key revoked), and a reader compares it with the value its cache was loaded at.
 * Reading it on the request path makes a change visible to every process on its next request,
 * without waiting for a notification. Implementations: Redis (shared), memory (one process).
 */
export interface ChangeCounter {
  readonly backend: 'memory' | 'redis';
  /** The current value; a read that starts after a `bump` resolved sees that bump. */
  read(): Promise<number>;
  /** Adds one and returns the new value. */
  bump(): Promise<number>;
}

/** One process: the counter lives in memory (embedded mode, tests). */
export function createMemoryChangeCounter(): ChangeCounter {
  let value = 0;
  return {
    backend: 'memory',
    read: async () => value,
    bump: async () => {
      value += 1;
      return value;
    },
  };
}
