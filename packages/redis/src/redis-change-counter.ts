import type { ChangeCounter } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { Redis } from 'ioredis';

/**
 * A change counter in one Redis key, shared by every process. Reads that arrive in the same turn
 * of the event loop share one GET, sent after all of them arrived, so each still sees every bump
 * that resolved before it was asked; a busy process costs one GET per turn, not per request.
 */
export function createRedisChangeCounter(client: Redis, key: string): ChangeCounter {
  let batch: Promise<number> | null = null;
  const unavailable = (cause: unknown) =>
    new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The change counter (Redis) is unavailable', { cause });
  return {
    backend: 'redis',
    read() {
      if (batch) return batch;
      batch = new Promise<number>((resolve, reject) => {
        setImmediate(() => {
          batch = null;
          client.get(key).then(
            (value) => resolve(Number(value ?? 0)),
            (error) => reject(unavailable(error)),
          );
        });
      });
      return batch;
    },
    async bump() {
      try {
        return await client.incr(key);
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}
