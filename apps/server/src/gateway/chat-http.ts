import type { EdgeReply, EdgeRequest } from '../edge/edge-request';
import type { CacheStatus, ChatCall } from './chat-execution';

/** The HTTP request's side of a chat call. */
export function chatCallOf(request: EdgeRequest): ChatCall {
  const cacheControl = request.headers['cache-control'];
  return {
    environment: request.principal?.environment ?? 'prod',
    cacheControl: Array.isArray(cacheControl) ? cacheControl.join(',') : cacheControl,
    log: request.log,
  };
}

/** Which deployment answered and whether the cache did, for the client and for debugging. */
export function tagAnswer(reply: EdgeReply, answer: { deployment: string; cache: CacheStatus }): void {
  reply.header('x-switchyard-model', answer.deployment);
  reply.header('x-cache', answer.cache);
}
