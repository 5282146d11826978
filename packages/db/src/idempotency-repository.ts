import { and, eq, lte, sql } from 'drizzle-orm';
import type { Db } from './client';
import { idempotencyKeys } from './schema';

export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export type IdempotencyBeginResult =
  /** The caller owns the key now: do the work, then `complete` (or `abandon` on failure). */
  | { state: 'new' }
  /** The same request finished before: send this response again. */
  | { state: 'replay'; response: StoredResponse }
  /** The same request is still running elsewhere (HTTP 409). */
  | { state: 'in-progress' }
  /** The key was used with another request body (HTTP 422). */
  | { state: 'mismatch' };

export interface IdempotencyRepositoryOptions {
  /** How long a finished response is replayed. Default 24 h. */
  ttlMs?: number;
  /** An in-progress entry older than this belongs to a process that died, and the same request may take it over. Default 5 min. */
  inProgressTimeoutMs?: number;
  clock?: { now(): number };
}

export interface IdempotencyRepository {
  begin(scope: string, key: string, requestHash: string): Promise<IdempotencyBeginResult>;
  /** Stores the response for replays; kept for the TTL counted from now. */
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Forgets an in-progress key so that a retry of the failed request can run. */
  abandon(scope: string, key: string): Promise<void>;
  /** Deletes expired entries; returns how many. */
  purgeExpired(): Promise<number>;
}

const dayMs = 24 * 60 * 60_000;

export function createIdempotencyRepository(db: Db, options: IdempotencyRepositoryOptions = {}): IdempotencyRepository {
  const ttlMs = options.ttlMs ?? dayMs;
  const inProgressTimeoutMs = options.inProgressTimeoutMs ?? 5 * 60_000;
  const now = () => new Date((options.clock ?? Date).now());
  const keyIs = (scope: string, key: string) => and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));

  return {
    async begin(scope, key, requestHash) {
      // Two tries: an entry deleted by purgeExpired between the insert and the read is simply inserted again.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const at = now();
        const claimed = await db
          .insert(idempotencyKeys)
          .values({
            scope,
            key,
            requestHash,
            status: 'in_progress',
            createdAt: at,
            lockedUntil: new Date(at.getTime() + inProgressTimeoutMs),
            expiresAt: new Date(at.getTime() + ttlMs),
          })
          .onConflictDoUpdate({
            target: [idempotencyKeys.scope, idempotencyKeys.key],
            set: {
              requestHash: sql`excluded.request_hash`,
              status: 'in_progress',
              responseStatus: null,
              responseBody: null,
              responseHeaders: null,
              createdAt: sql`excluded.created_at`,
              lockedUntil: sql`excluded.locked_until`,
              expiresAt: sql`excluded.expires_at`,
            },
            // Only an expired entry, or the same request abandoned by a dead process, may be taken over.
            setWhere: sql`${idempotencyKeys.expiresAt} <= ${at} OR (${idempotencyKeys.status} = 'in_progress' AND ${idempotencyKeys.lockedUntil} <= ${at} AND ${idempotencyKeys.requestHash} = excluded.request_hash)`,
          })
          .returning({ scope: idempotencyKeys.scope });
        if (claimed.length > 0) return { state: 'new' };

        const [existing] = await db.select().from(idempotencyKeys).where(keyIs(scope, key));
        if (!existing) continue;
        if (existing.requestHash !== requestHash) return { state: 'mismatch' };
        if (existing.status === 'in_progress') return { state: 'in-progress' };
        return {
          state: 'replay',
          response: {
            status: existing.responseStatus ?? 200,
            body: existing.responseBody,
            headers: existing.responseHeaders ?? {},
          },
        };
      }
      return { state: 'in-progress' };
    },

    async complete(scope, key, response) {
      const at = now();
      await db
        .update(idempotencyKeys)
        .set({
          status: 'done',
          responseStatus: response.status,
          responseBody: response.body,
          responseHeaders: response.headers,
          lockedUntil: null,
          expiresAt: new Date(at.getTime() + ttlMs),
        })
        .where(and(keyIs(scope, key), eq(idempotencyKeys.status, 'in_progress')));
    },

    async abandon(scope, key) {
      await db.delete(idempotencyKeys).where(and(keyIs(scope, key), eq(idempotencyKeys.status, 'in_progress')));
    },

    async purgeExpired() {
      const deleted = await db
        .delete(idempotencyKeys)
        .where(lte(idempotencyKeys.expiresAt, now()))
        .returning({ scope: idempotencyKeys.scope });
      return deleted.length;
    },
  };
}
