import { displayPrefixOfKey, type Environment, generateApiKey, hashApiKey, SwitchyardError } from '@switchyard/core';

export interface KeyRecord {
  id: string;
  name: string;
  keyPrefix: string;
  environment: string;
  isAdmin: boolean;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface KeyRepositoryPort {
  create(input: {
    name: string;
    keyHash: string;
    keyPrefix: string;
    environment: Environment;
    isAdmin: boolean;
  }): Promise<KeyRecord>;
  list(options?: { includeRevoked?: boolean }): Promise<KeyRecord[]>;
  revoke(id: string): Promise<KeyRecord | undefined>;
}

/** What a key looks like anywhere outside the database: never its hash. */
export interface PublicKey {
  id: string;
  name: string;
  prefix: string;
  environment: string;
  admin: boolean;
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
    createdAt: record.createdAt.toISOString(),
    revokedAt: record.revokedAt ? record.revokedAt.toISOString() : null,
  };
}

export interface KeyService {
  /** Returns the only copy of the plaintext key that will ever exist. */
  create(input: {
    name: string;
    environment: Environment;
    admin: boolean;
  }): Promise<{ key: string; record: PublicKey }>;
  list(options?: { includeRevoked?: boolean }): Promise<PublicKey[]>;
  revoke(id: string): Promise<PublicKey>;
}

/**
 * Key management shared by the admin API, the admin socket and the CLI.
 * `announce` tells every process (including this one) to reload its key cache.
 */
export function createKeyService(repository: KeyRepositoryPort, announce: () => Promise<void>): KeyService {
  return {
    async create({ name, environment, admin }) {
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > 200) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'A key name must be 1 to 200 characters');
      }
      const key = generateApiKey(environment);
      const record = await repository.create({
        name: trimmed,
        keyHash: hashApiKey(key),
        keyPrefix: displayPrefixOfKey(key),
        environment,
        isAdmin: admin,
      });
      await announce();
      return { key, record: toPublicKey(record) };
    },
    async list(options) {
      return (await repository.list(options)).map(toPublicKey);
    },
    async revoke(id) {
      const record = await repository.revoke(id).catch((error: unknown) => {
        // A malformed id is simply an id that does not exist.
        if (String((error as Error).message).includes('invalid input syntax')) return undefined;
        throw error;
      });
      if (!record) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No API key with id '${id}'`);
      await announce();
      return toPublicKey(record);
    },
  };
}
