import type { EdgeReply, EdgeRequest } from './edge-request';

/**
 * The request's controller that is aborted when the client goes away before
 * the response is complete (by the request hook's close listener), so the
 * upstream request is cancelled with it. Handing the controller itself to the
 * router spares an AbortSignal and a listener per request.
 */
export function clientDisconnectController(request: EdgeRequest, reply: EdgeReply): AbortController {
  if (request.disconnect) return request.disconnect;
  const controller = new AbortController();
  request.disconnect = controller;
  // Already gone (a body upload was slow): abort now.
  if (reply.raw.destroyed && !reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  return controller;
}

/** The signal of {@link clientDisconnectController}. */
export function clientDisconnectSignal(request: EdgeRequest, reply: EdgeReply): AbortSignal {
  return clientDisconnectController(request, reply).signal;
}
