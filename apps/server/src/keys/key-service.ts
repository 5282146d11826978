import {
  defaultKeyScopes,
  displayPrefixOfKey,
  type Environment,
  generateApiKey,
  hashApiKey,
  type KeyScope,
  SwitchyardError,
} from '@switchyard/core';
import type { KeyListOptions } from '@switchyard/db';
import { effectiveScopes } from './key-store';

export interface KeyRecord {
  id: string;
  name: string;
  keyPrefix: string;
  environment: string;
  isAdmin: boolean;
  scopes: readonly string[];
  userId: string | null;
  projectId: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Revoked keys too; only some environments (an admin's own; every key when absent); a search; a page. */
export type { KeyListOptions };

export interface KeyRepositoryPort {
  create(input: {
    name: string;
    keyHash: string;
    keyPrefix: string;
    environment: Environment;
    isAdmin: boolean;
    scopes: KeyScope[];
    userId: string | null;
    projectId: string | null;
  }): Promise<KeyRecord>;
  findById(id: string): Promise<KeyRecord | undefined>;
  listForProject(projectId: string, options?: { includeRevoked?: boolean }): Promise<KeyRecord[]>;
  revokeForProject(projectId: string, options?: { userId?: string }): Promise<KeyRecord[]>;
  list(options?: KeyListOptions): Promise<KeyRecord[]>;
  listForUser(userId: string, options?: { includeRevoked?: boolean }): Promise<KeyRecord[]>;
  countActiveForUser(userId: string): Promise<number>;
  revoke(id: string, options?: { environments?: readonly Environment[] }): Promise<KeyRecord | undefined>;
  revokeForUser(id: string, userId: string): Promise<KeyRecord | undefined>;
}

/** What a key looks like anywhere outside the database: never its hash. */
export interface PublicKey {
  id: string;
  name: string;
  prefix: string;
  environment: string;
  admin: boolean;
  scopes: KeyScope[];
  /** The user who owns it (created through /api/keys), or null. */
  userId: string | null;
  /** The project it acts within, or null. */
  projectId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export function toPublicKey(record: KeyRecord): PublicKey {
  return {
    id: record.id,
    name: record.name,
    prefix: record.keyPrefix,
    environment: record.environment,
    admin: record.isAdmin,
    scopes: effectiveScopes(record),
    userId: record.userId,
    projectId: record.projectId,
    createdAt: record.createdAt.toISOString(),
    revokedAt: record.revokedAt ? record.revokedAt.toISOString() : null,
  };
}

export interface CreateKeyInput {
  name: string;
  environment: Environment;
  admin: boolean;
  /** Default: chat, images, messages (plus admin for an admin key). */
  scopes?: readonly KeyScope[];
  /** Set only by /api/keys, from the session, never from a request body. */
  userId?: string | null;
  /** The project the key acts within; /api/keys checks the user may create there first. */
  projectId?: string | null;
}

/** How many unrevoked keys one user may hold; a runaway script should not fill the table. */
export const maxActiveKeysPerUser = 50;

export interface KeyService {
  /** Returns the only copy of the plaintext key that will ever exist. */
  create(input: CreateKeyInput): Promise<{ key: string; record: PublicKey }>;
  list(options?: KeyListOptions): Promise<PublicKey[]>;
  /** SY_ERR_NOT_FOUND for a key that does not exist or lies outside `environments`: the two look the same. */
  revoke(id: string, options?: { environments?: readonly Environment[] }): Promise<PublicKey>;
  listForUser(userId: string, options?: { includeRevoked?: boolean }): Promise<PublicKey[]>;
  /** SY_ERR_NOT_FOUND for a key that does not exist or belongs to someone else: the two look the same. */
  revokeForUser(id: string, userId: string): Promise<PublicKey>;
  /** A project's keys (the caller checked membership). */
  listForProject(projectId: string, options?: { includeRevoked?: boolean }): Promise<PublicKey[]>;
  /** The key record, or undefined (also for a malformed id). */
  find(id: string): Promise<PublicKey | undefined>;
  /** Revokes a project's keys, or one member's there; how many. */
  revokeForProject(projectId: string, options?: { userId?: string }): Promise<number>;
}

/** What the CLI needs: the same operations whether they go through the admin socket or the database. */
export type KeyAdministration = Pick<KeyService, 'create' | 'list' | 'revoke'>;

function scopesFor(admin: boolean, requested: readonly KeyScope[] | undefined): KeyScope[] {
  const scopes = [...new Set(requested ?? defaultKeyScopes)];
  if (scopes.length === 0) throw new SwitchyardError('SY_ERR_VALIDATION', 'A key needs at least one scope');
  if (scopes.includes('admin') && !admin) {
    throw new SwitchyardError('SY_ERR_VALIDATION', "The 'admin' scope belongs to admin keys only");
  }
  return admin && !scopes.includes('admin') ? [...scopes, 'admin'] : scopes;
}

/** A malformed id is simply an id that does not exist. */
function missingOnBadId(error: unknown): undefined {
  if (String((error as Error).message).includes('invalid input syntax')) return undefined;
  throw error;
}

/**
 * Key management shared by the admin API, the admin socket and the CLI.
 * `announce` tells every process (including this one) to reload its key cache.
 */
export function createKeyService(repository: KeyRepositoryPort, announce: () => Promise<void>): KeyService {
  return {
    async create({ name, environment, admin, scopes, userId = null, projectId = null }) {
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > 200) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'A key name must be 1 to 200 characters');
      }
      const keyScopes = scopesFor(admin, scopes);
      if (userId !== null && (await repository.countActiveForUser(userId)) >= maxActiveKeysPerUser) {
        throw new SwitchyardError(
          'SY_ERR_CONFLICT',
          `A user may hold at most ${maxActiveKeysPerUser} active keys; revoke one first`,
        );
      }
      const key = generateApiKey(environment);
      const record = await repository.create({
        name: trimmed,
        keyHash: hashApiKey(key),
        keyPrefix: displayPrefixOfKey(key),
        environment,
        isAdmin: admin,
        scopes: keyScopes,
        userId,
        projectId,
      });
      await announce();
      return { key, record: toPublicKey(record) };
    },
    async list(options) {
      return (await repository.list(options)).map(toPublicKey);
    },
    async revoke(id, options) {
      const record = await repository.revoke(id, options).catch(missingOnBadId);
      if (!record) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No API key with id '${id}'`);
      await announce();
      return toPublicKey(record);
    },
    async listForUser(userId, options) {
      return (await repository.listForUser(userId, options)).map(toPublicKey);
    },
    async listForProject(projectId, options) {
      return (await repository.listForProject(projectId, options)).map(toPublicKey);
    },
    async find(id) {
      const record = await repository.findById(id).catch(missingOnBadId);
      return record ? toPublicKey(record) : undefined;
    },
    async revokeForProject(projectId, options) {
      const revoked = await repository.revokeForProject(projectId, options);
      if (revoked.length > 0) await announce();
      return revoked.length;
    },
    async revokeForUser(id, userId) {
      const record = await repository.revokeForUser(id, userId).catch(missingOnBadId);
      if (!record) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No API key with id '${id}'`);
      await announce();
      return toPublicKey(record);
    },
  };
}
