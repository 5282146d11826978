import type { LogFn } from 'pino';
import type { EdgeReply, EdgeRequest } from '../edge/edge-request';
import type { CacheStatus, ChatCall } from './chat-execution';

/** The HTTP request's side of a chat call. */
export function chatCallOf(request: EdgeRequest): ChatCall {
  const cacheControl = request.headers['cache-control'];
  return {
    environment: request.principal?.environment ?? 'prod',
    cacheControl: Array.isArray(cacheControl) ? cacheControl.join(',') : cacheControl,
    // Made only when something is logged: a request's logger is a pino child, which costs on every request.
    log: { warn: ((...args: Parameters<LogFn>) => request.log.warn(...args)) as LogFn },
  };
}

/** Which deployment answered and whether the cache did, for the client and for debugging. */
export function tagAnswer(reply: EdgeReply, answer: { deployment: string; cache: CacheStatus }): void {
  reply.header('x-switchyard-model', answer.deployment);
  reply.header('x-cache', answer.cache);
}
