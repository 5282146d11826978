import { type Environment, isKeyScope, type KeyScope } from '@switchyard/core';
import type { Logger } from 'pino';

export interface CachedKey {
  id: string;
  name: string;
  keyPrefix: string;
  environment: Environment;
  isAdmin: boolean;
  /** What the key may do; an admin key always includes 'admin'. */
  scopes: readonly KeyScope[];
  userId: string | null;
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
  readonly size: number;
}

interface StoredKey {
  id: string;
  name: string;
  keyHash: string;
  keyPrefix: string;
  environment: string;
  isAdmin: boolean;
  scopes: readonly string[];
  userId: string | null;
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
export function createKeyStore(loadAll: () => Promise<StoredKey[]>, logger: Logger): KeyStore {
  let byHash = new Map<string, CachedKey>();
  let inFlight: Promise<void> | null = null;
  let again = false;
  let lastStartedAt = 0;
  const missReloadIntervalMs = 250;

  async function loadOnce(): Promise<void> {
    lastStartedAt = performance.now();
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
        revoked: row.revokedAt !== null,
      });
    }
    byHash = next;
  }

  const store: KeyStore = {
    findByHash: (keyHash) => byHash.get(keyHash),
    get size() {
      return byHash.size;
    },
    async reloadForMiss() {
      const missAt = performance.now();
      const wait = lastStartedAt + missReloadIntervalMs - missAt;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // Someone else's reload started after this miss: it sees whatever this caller could. One that
      // started at the same instant may have read before the key was written, so it does not count.
      if (lastStartedAt > missAt) {
        await inFlight?.catch(() => {});
        return;
      }
      await store.reload().catch(() => {});
    },
    reload() {
      // Coalesce bursts: one reload in flight, at most one queued behind it.
      if (inFlight) {
        again = true;
        return inFlight;
      }
      inFlight = (async () => {
        try {
          do {
            again = false;
            await loadOnce();
          } while (again);
        } catch (error) {
          logger.error({ err: error }, 'reloading API keys failed; keeping the previous set');
          throw error;
        } finally {
          inFlight = null;
        }
      })();
      return inFlight;
    },
  };
  return store;
}
