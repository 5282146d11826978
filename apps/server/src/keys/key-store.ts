import { type ChangeCounter, type Environment, isKeyScope, type KeyScope } from '@switchyard/core';
import type { Logger } from 'pino';
import { createSharedSnapshot } from '../infrastructure/shared-snapshot';

export interface CachedKey {
  id: string;
  name: string;
  keyPrefix: string;
  environment: Environment;
  isAdmin: boolean;
  /** What the key may do; an admin key always includes 'admin'. */
  scopes: readonly KeyScope[];
  userId: string | null;
  /** The project a member's key acts within; null: not a project key. */
  projectId: string | null;
  revoked: boolean;
}

export interface KeyStore {
  /** O(1) lookup by SHA-256 hash; never touches the database. */
  findByHash(keyHash: string): CachedKey | undefined;
  reload(): Promise<void>;
  /**
   * For a key not in memory: a key created a moment ago on another process (or by the CLI) may not
   * have reached this one yet. Resolves once a reload that started after the call has finished;
   * reloads are at least 250 ms apart (a caller waits for the window), so a flood of made-up keys
   * costs at most four reloads a second and slows only itself. Never rejects.
   */
  reloadForMiss(): Promise<void>;
  /**
   * With a shared change counter (server mode with Redis): when another process revoked or
   * changed a key since this cache was loaded, reloads before resolving, so the change applies
   * to this request; `undefined` when the cache is known to be fresh (no counter), so the
   * request path awaits nothing. If the counter cannot be read, resolves at once (the change
   * notification still arrives) and logs a warning at most once a minute.
   */
  ensureFresh(): Promise<void> | undefined;
  /** Tells every process's `ensureFresh` that keys changed; call after the change is committed. */
  markChanged(): Promise<void>;
  readonly size: number;
}

/** The Redis key of the shared key-change counter (every process and the CLI bump and read it). */
export const keyChangeCounterKey = 'sy:keys:changes';

interface StoredKey {
  id: string;
  name: string;
  keyHash: string;
  keyPrefix: string;
  environment: string;
  isAdmin: boolean;
  scopes: readonly string[];
  userId: string | null;
  projectId?: string | null;
  revokedAt: Date | null;
}

/** Keys made before scopes existed, and every admin key, can administer; only admin keys can. */
export function effectiveScopes(row: { isAdmin: boolean; scopes: readonly string[] }): KeyScope[] {
  const scopes = row.scopes.filter(isKeyScope).filter((scope) => scope !== 'admin');
  return row.isAdmin ? [...scopes, 'admin'] : scopes;
}

/**
 * Keeps every API key (revoked ones too, so the error can say "revoked") in
 * memory. Reloads are triggered by change notifications from any process and,
 * as a safety net against a missed notification, on a timer.
 */
export function createKeyStore(
  loadAll: () => Promise<StoredKey[]>,
  logger: Logger,
  counter: ChangeCounter | null = null,
): KeyStore {
  let byHash = new Map<string, CachedKey>();
  const missReloadIntervalMs = 250;
  const snapshot = createSharedSnapshot({
    what: 'API keys',
    counter,
    logger,
    async load() {
      const rows = await loadAll();
      const next = new Map<string, CachedKey>();
      for (const row of rows) {
        if (row.environment !== 'prod' && row.environment !== 'dev') continue;
        next.set(row.keyHash, {
          id: row.id,
          name: row.name,
          keyPrefix: row.keyPrefix,
          environment: row.environment,
          isAdmin: row.isAdmin,
          scopes: effectiveScopes(row),
          userId: row.userId,
          projectId: row.projectId ?? null,
          revoked: row.revokedAt !== null,
        });
      }
      byHash = next;
    },
  });

  const store: KeyStore = {
    findByHash: (keyHash) => byHash.get(keyHash),
    get size() {
      return byHash.size;
    },
    async reloadForMiss() {
      const missAt = performance.now();
      const wait = snapshot.lastStartedAt + missReloadIntervalMs - missAt;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // Someone else's reload started after this miss: it sees whatever this caller could. One that
      // started at the same instant may have read before the key was written, so it does not count.
      if (snapshot.lastStartedAt > missAt) {
        await snapshot.inFlight?.catch(() => {});
        return;
      }
      await snapshot.reload().catch(() => {});
    },
    reload: () => snapshot.reload(),
    ensureFresh: () => snapshot.ensureFresh(),
    markChanged: () => snapshot.markChanged(),
  };
  return store;
}
