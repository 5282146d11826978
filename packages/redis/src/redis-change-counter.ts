import type { ChangeCounter } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { Redis } from 'ioredis';

interface PendingRead {
  readonly promise: Promise<number>;
  resolve(value: number): void;
  reject(error: unknown): void;
}

/** Per client: the counters asked for in this turn of the event loop, read together at its end. */
const pendingReads = new WeakMap<Redis, Map<string, PendingRead>>();

const unavailable = (cause: unknown) =>
  new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The change counter (Redis) is unavailable', { cause });

function readTogether(client: Redis, key: string): Promise<number> {
  let batch = pendingReads.get(client);
  if (!batch) {
    const reads = new Map<string, PendingRead>();
    batch = reads;
    pendingReads.set(client, reads);
    setImmediate(() => {
      pendingReads.delete(client);
      const keys = [...reads.keys()];
      client.mget(keys).then(
        (values) => {
          for (const [index, name] of keys.entries()) reads.get(name)?.resolve(Number(values[index] ?? 0));
        },
        (error: unknown) => {
          const failure = unavailable(error);
          for (const read of reads.values()) read.reject(failure);
        },
      );
    });
  }
  let read = batch.get(key);
  if (!read) {
    let resolve!: (value: number) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<number>((settle, fail) => {
      resolve = settle;
      reject = fail;
    });
    read = { promise, resolve, reject };
    batch.set(key, read);
  }
  return read.promise;
}

/**
 * A change counter in one Redis key, shared by every process. Reads that arrive in the same turn
 * of the event loop share one read, sent after all of them arrived, so each still sees every bump
 * that resolved before it was asked; a busy process costs one read per turn, not per request. The
 * counters of one client (API keys and plans, each checked on every request) are read in one MGET.
 */
export function createRedisChangeCounter(client: Redis, key: string): ChangeCounter {
  return {
    backend: 'redis',
    read: () => readTogether(client, key),
    async bump() {
      try {
        return await client.incr(key);
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}
