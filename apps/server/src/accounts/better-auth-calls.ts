import type { AsyncLocalStorage } from 'node:async_hooks';

/**
 * better-auth runs each of its calls inside its own AsyncLocalStorages (request state, endpoint
 * context, adapter transaction; kept on a process-wide object so that several copies of the library
 * share them). On Node 20 an AsyncLocalStorage that has run once stays enabled, and while any is
 * enabled every promise in the process goes through async hooks: a gateway process that served one
 * web sign-in or session check would pay for them on every API request from then on
 * (docs/benchmarks.md, "The request context"). So every call into better-auth goes through
 * `betterAuthCall`, and once none is in flight its storages are disabled again; the next call
 * enables them as it enters them. Nothing of better-auth runs outside these calls: Switchyard
 * configures no background tasks and no cookie cache, and awaits each call to its end.
 */
const storageFields = ['requestStateAsyncStorage', 'endpointContextAsyncStorage', 'adapterAsyncStorage'] as const;

/** better-auth's process-wide object (`@better-auth/core`, context/global). */
const betterAuthGlobal = Symbol.for('better-auth:global');

let callsInFlight = 0;

/** The AsyncLocalStorages better-auth has made so far (none before its first call). */
export function betterAuthStorages(): AsyncLocalStorage<unknown>[] {
  const shared = (globalThis as Record<symbol, { context?: Record<string, unknown> } | undefined>)[betterAuthGlobal];
  const found: AsyncLocalStorage<unknown>[] = [];
  for (const field of storageFields) {
    const storage = shared?.context?.[field] as AsyncLocalStorage<unknown> | undefined;
    if (storage && typeof storage.disable === 'function') found.push(storage);
  }
  return found;
}

/** Runs one call into better-auth; the last one to end disables its storages. */
export async function betterAuthCall<T>(call: () => Promise<T>): Promise<T> {
  callsInFlight += 1;
  try {
    return await call();
  } finally {
    callsInFlight -= 1;
    if (callsInFlight === 0) for (const storage of betterAuthStorages()) storage.disable();
  }
}
