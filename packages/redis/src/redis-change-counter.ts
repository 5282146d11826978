import type { ChangeCounter } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { Redis } from 'ioredis';

interface PendingRead {
  readonly promise: Promise<number>;
  resolve(value: number): void;
  reject(error: unknown): void;
}

/**
 * Per client: the counters asked for and not sent yet (`waiting`, read together in one MGET), and
 * whether an MGET is on its way (`sending`): at most one is, the next one waits for it to answer.
 */
interface ClientReads {
  waiting: Map<string, PendingRead> | null;
  sending: boolean;
}

const clientReads = new WeakMap<Redis, ClientReads>();

const unavailable = (cause: unknown) =>
  new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The change counter (Redis) is unavailable', { cause });

/** Sends the waiting reads in one MGET; when it answers, the reads that arrived meanwhile go in the next one. */
function send(client: Redis, state: ClientReads): void {
  const reads = state.waiting;
  if (!reads) return;
  state.waiting = null;
  state.sending = true;
  const keys = [...reads.keys()];
  const next = () => {
    state.sending = false;
    send(client, state);
  };
  client.mget(keys).then(
    (values) => {
      for (const [index, name] of keys.entries()) reads.get(name)?.resolve(Number(values[index] ?? 0));
      next();
    },
    (error: unknown) => {
      const failure = unavailable(error);
      for (const read of reads.values()) read.reject(failure);
      next();
    },
  );
}

function readTogether(client: Redis, key: string): Promise<number> {
  let state = clientReads.get(client);
  if (!state) {
    state = { waiting: null, sending: false };
    clientReads.set(client, state);
  }
  let reads = state.waiting;
  if (!reads) {
    reads = new Map();
    state.waiting = reads;
    // Sent at the end of this turn, so every read asked in it shares the MGET; while another MGET is on
    // its way, when that one answers instead (`send` follows it with the waiting reads).
    if (!state.sending) {
      const current = state;
      setImmediate(() => {
        if (!current.sending) send(client, current);
      });
    }
  }
  let read = reads.get(key);
  if (!read) {
    let resolve!: (value: number) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<number>((settle, fail) => {
      resolve = settle;
      reject = fail;
    });
    read = { promise, resolve, reject };
    reads.set(key, read);
  }
  return read.promise;
}

/**
 * A change counter in one Redis key, shared by every process. A read is sent after it was asked, so it
 * sees every bump that resolved before; reads share one: those asked in the same turn of the event
 * loop, and while an MGET is on its way every read asked meanwhile, sent together when it answers. A
 * busy process thus costs at most one read in flight, not one per request or per turn; a read waits at
 * most for the one before it and its own. The counters of one client (API keys and plans, each checked
 * on every request) are read in one MGET.
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
