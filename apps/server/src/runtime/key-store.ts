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

  async function loadOnce(): Promise<void> {
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

  return {
    findByHash: (keyHash) => byHash.get(keyHash),
    get size() {
      return byHash.size;
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
}
