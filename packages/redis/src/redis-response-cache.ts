import { type ResponseCacheStore, SwitchyardError } from '@switchyard/core';
import type { Redis } from 'ioredis';

/** Shared by every process in server mode. A Redis failure is a miss, never a failed request. */
export function createRedisResponseCache(client: Redis, keyPrefix = 'sy:cache'): ResponseCacheStore {
  return {
    backend: 'redis',
    async get(key) {
      try {
        return (await client.get(`${keyPrefix}:${key}`)) ?? undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      try {
        await client.set(`${keyPrefix}:${key}`, value, 'PX', Math.round(ttlMs));
      } catch (error) {
        throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The response cache (Redis) is unavailable', {
          cause: error,
        });
      }
    },
  };
}
