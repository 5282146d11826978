import { type Environment, type KeyScope, SwitchyardError } from '@switchyard/core';
import { and, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from './client';
import { sqlStateOf, sqlStates } from './errors';
import type { PageOptions } from './page';
import { type ApiKeyRecord, apiKeys } from './schema';
import { containsText } from './text-search';

export interface NewApiKey {
  name: string;
  keyHash: string;
  keyPrefix: string;
  environment: Environment;
  isAdmin: boolean;
  /** Default: chat, images, messages. */
  scopes?: KeyScope[];
  /** The owner, for keys a user created through /api/keys. */
  userId?: string | null;
  /** The project the key acts within (made by a member there). */
  projectId?: string | null;
}

export interface KeyListOptions {
  includeRevoked?: boolean;
  environments?: readonly Environment[];
  /** Keys whose name or prefix contains this (any case). */
  search?: string;
  /** A page of the list; all of it without. */
  page?: PageOptions;
}

/** No condition when every environment is allowed; none matches an empty list. */
const inEnvironments = (environments: readonly Environment[] | undefined) =>
  environments === undefined ? undefined : inArray(apiKeys.environment, [...environments]);

export interface KeyRepository {
  /** Throws SY_ERR_CONFLICT when a key with the same hash exists. */
  create(key: NewApiKey): Promise<ApiKeyRecord>;
  /** Newest first; revoked keys only when asked for; only the given environments when named. */
  list(options?: KeyListOptions): Promise<ApiKeyRecord[]>;
  /** One user's keys, newest first. */
  listForUser(userId: string, options?: { includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  countActiveForUser(userId: string): Promise<number>;
  listActive(): Promise<ApiKeyRecord[]>;
  findById(id: string): Promise<ApiKeyRecord | undefined>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Keeps the first revocation time when called again; undefined for an unknown id, or for a key outside
   * `environments` when they are named.
   */
  revoke(id: string, options?: { environments?: readonly Environment[] }): Promise<ApiKeyRecord | undefined>;
  /** A project's keys, newest first. */
  listForProject(projectId: string, options?: { includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  /** Revokes a project's live keys (the project was deleted), or only those of one user (they left it). */
  revokeForProject(projectId: string, options?: { userId?: string }): Promise<ApiKeyRecord[]>;
  /** Like revoke, but only a key this user owns; undefined for any other id. */
  revokeForUser(id: string, userId: string): Promise<ApiKeyRecord | undefined>;
}

export function createKeyRepository(db: Db): KeyRepository {
  const list = async (options: KeyListOptions = {}) => {
    const query = db
      .select()
      .from(apiKeys)
      .where(
        and(
          options.includeRevoked ? undefined : isNull(apiKeys.revokedAt),
          inEnvironments(options.environments),
          containsText(options.search, apiKeys.name, apiKeys.keyPrefix),
        ),
      )
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
    return options.page ? query.limit(options.page.limit).offset(options.page.offset) : query;
  };

  return {
    async create(key) {
      try {
        const [created] = await db.insert(apiKeys).values(key).returning();
        if (!created) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting an API key returned no row');
        return created;
      } catch (error) {
        if (sqlStateOf(error) === sqlStates.uniqueViolation) {
          throw new SwitchyardError('SY_ERR_CONFLICT', 'An API key with this hash already exists', { cause: error });
        }
        throw error;
      }
    },

    list,

    listActive: () => list({ includeRevoked: false }),

    async listForUser(userId, options = {}) {
      return db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.userId, userId), options.includeRevoked ? undefined : isNull(apiKeys.revokedAt)))
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
    },

    async countActiveForUser(userId) {
      const [row] = await db
        .select({ value: count() })
        .from(apiKeys)
        .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)));
      return row?.value ?? 0;
    },

    async findById(id) {
      const [found] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
      return found;
    },

    async findByHash(keyHash) {
      const [found] = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash));
      return found;
    },

    async revoke(id, options = {}) {
      const [revoked] = await db
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(and(eq(apiKeys.id, id), inEnvironments(options.environments)))
        .returning();
      return revoked;
    },

    listForProject(projectId, options = {}) {
      return db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.projectId, projectId), options.includeRevoked ? undefined : isNull(apiKeys.revokedAt)))
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
    },

    revokeForProject(projectId, options = {}) {
      return db
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(
          and(
            eq(apiKeys.projectId, projectId),
            isNull(apiKeys.revokedAt),
            options.userId === undefined ? undefined : eq(apiKeys.userId, options.userId),
          ),
        )
        .returning();
    },

    async revokeForUser(id, userId) {
      const [revoked] = await db
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)))
        .returning();
      return revoked;
    },
  };
}
