import type { FastifyRequest } from 'fastify';

/**
 * Requests in flight, for the connection and stream gauges: the hot path adds and deletes one
 * Set entry per request; the scrape does the counting.
 */
export interface RequestTracker {
  start(request: FastifyRequest): void;
  finish(request: FastifyRequest): void;
  inFlight(): number;
  /** Open server-sent event streams (requests marked `streaming`) by route. */
  openStreams(): ReadonlyMap<string, number>;
}

export function createRequestTracker(): RequestTracker {
  const requests = new Set<FastifyRequest>();
  return {
    start: (request) => void requests.add(request),
    finish: (request) => void requests.delete(request),
    inFlight: () => requests.size,
    openStreams() {
      const streams = new Map<string, number>();
      for (const request of requests) {
        if (!request.streaming) continue;
        const route = request.routeOptions.url ?? 'unmatched';
        streams.set(route, (streams.get(route) ?? 0) + 1);
      }
      return streams;
    },
  };
}
