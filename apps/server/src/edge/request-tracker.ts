import type { ServerResponse } from 'node:http';
import type { EdgeRequest } from './edge-request';

/**
 * Requests in flight, for the connection and stream gauges and the shutdown drain: the hot path adds
 * and deletes one Map entry per request; the scrape (or the drain) does the counting.
 */
export interface RequestTracker {
  start(request: EdgeRequest, response: ServerResponse): void;
  finish(request: EdgeRequest): void;
  inFlight(): number;
  /** Open server-sent event streams (requests marked `streaming`) by route. */
  openStreams(): ReadonlyMap<string, number>;
  /** Each request in flight with its response (what the drain marks `Connection: close`). */
  entries(): IterableIterator<[EdgeRequest, ServerResponse]>;
}

export function createRequestTracker(): RequestTracker {
  const requests = new Map<EdgeRequest, ServerResponse>();
  return {
    start: (request, response) => void requests.set(request, response),
    finish: (request) => void requests.delete(request),
    inFlight: () => requests.size,
    openStreams() {
      const streams = new Map<string, number>();
      for (const request of requests.keys()) {
        if (!request.streaming) continue;
        const route = request.routeOptions.url ?? 'unmatched';
        streams.set(route, (streams.get(route) ?? 0) + 1);
      }
      return streams;
    },
    entries: () => requests.entries(),
  };
}

/**
 * While the server drains, each response tells its client to close the connection (`Connection: close`),
 * so no kept-alive connection is left idle for the stop to cut under a request the client is sending.
 * Only the last request in flight on a connection says so: a pipelined request queued behind it would
 * otherwise never be answered (Node closes the connection after a `close` response). Call it for every
 * request that arrives while draining, and once for each request in flight when draining begins.
 */
export function closeConnectionAfter(tracker: RequestTracker, request: EdgeRequest, response: ServerResponse): void {
  const socket = request.raw.socket;
  for (const [other, otherResponse] of tracker.entries()) {
    // An earlier request on the same connection whose answer has not left yet keeps the connection open
    // for this one (only when the drain closed it: a client's own `Connection: close` stands); one whose
    // headers are out already said what it said.
    if (other !== request && other.raw.socket === socket && closedByDrain.has(otherResponse)) {
      if (!otherResponse.headersSent) otherResponse.shouldKeepAlive = true;
      closedByDrain.delete(otherResponse);
    }
  }
  if (!response.headersSent && response.shouldKeepAlive) {
    response.shouldKeepAlive = false;
    closedByDrain.add(response);
  }
}

const closedByDrain = new WeakSet<ServerResponse>();
