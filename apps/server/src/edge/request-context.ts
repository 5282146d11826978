import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What code running for a request (a job it enqueues, an event it publishes) may read about it. */
export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The request the current code runs for, if any. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `next` (the rest of the request's hooks and its handler) inside the request's context. */
export function runInRequest<T>(context: RequestContext, next: () => T): T {
  return storage.run(context, next);
}

/**
 * A request id a client or proxy may set: letters, digits and `-_.:/+=`, at most 128 characters
 * (UUIDs, W3C trace ids, ULIDs, nginx's $request_id, AWS's `Root=1-…`). Anything else is replaced,
 * so a log line never carries a client's control characters or a megabyte of header.
 */
const acceptedRequestId = /^[A-Za-z0-9._:/+=-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && acceptedRequestId.test(header) ? header : randomUUID();
}
