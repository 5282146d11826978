import { randomUUID } from 'node:crypto';

/*
 * The request id travels explicitly: Fastify's `request.id` (set from X-Request-Id by requestIdFrom),
 * `request.log` (which binds it as `reqId`), the `trace` option of a job's enqueue or an event's publish,
 * and an event's `trace` for what its handlers do in turn. No AsyncLocalStorage: on Node 20 running one
 * turns on async hooks for the whole process (a hook per promise), ~65-110 µs of CPU per gateway request.
 */

/**
 * The `trace` option of an enqueue or a publish made for a request (or for an event that came from one),
 * to spread into the options: `{ environment, ...requestTrace(request.id) }`; nothing without an id.
 */
export function requestTrace(requestId: string | null | undefined): { trace?: { requestId: string } } {
  return requestId ? { trace: { requestId } } : {};
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
