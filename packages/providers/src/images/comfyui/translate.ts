import { SwitchyardError } from '@switchyard/core';
import { sanitizeUpstreamMessage, type UpstreamErrorContext, upstreamProtocolError } from '../../errors';

/** One file a ComfyUI output node wrote, as listed in the job's history. */
export interface ComfyImageReference {
  filename: string;
  subfolder: string;
  type: string;
}

export type HistoryState =
  | { state: 'pending' }
  | { state: 'failed'; error: SwitchyardError }
  | { state: 'done'; images: ComfyImageReference[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The id of the queued job from POST /prompt's answer `{prompt_id, number, node_errors}`. */
export function readPromptId(body: unknown, context: UpstreamErrorContext): string {
  const promptId = isRecord(body) ? body.prompt_id : undefined;
  if (typeof promptId !== 'string' || promptId === '') {
    throw upstreamProtocolError(context, 'queued the workflow without returning a prompt_id');
  }
  return promptId;
}

function executionFailure(context: UpstreamErrorContext, messages: unknown): SwitchyardError {
  const events = Array.isArray(messages) ? messages.filter(Array.isArray) : [];
  const details: Record<string, unknown> = { provider: context.providerId };
  const interrupted = events.some((event) => event[0] === 'execution_interrupted');
  const failed = events.find((event) => event[0] === 'execution_error')?.[1];
  if (isRecord(failed)) {
    const nodeType = typeof failed.node_type === 'string' ? failed.node_type : 'a node';
    const exceptionType = typeof failed.exception_type === 'string' ? failed.exception_type : 'an error';
    if (typeof failed.node_id === 'string') details.nodeId = failed.node_id;
    details.nodeType = nodeType;
    details.exceptionType = exceptionType;
    if (typeof failed.exception_message === 'string') {
      // Kept for logs only: ComfyUI's exception text quotes server paths and tensors.
      details.exceptionMessage = sanitizeUpstreamMessage(failed.exception_message, context.secrets);
    }
    // The same graph with the same seed fails the same way again; retrying only burns GPU time.
    return new SwitchyardError(
      'SY_ERR_UPSTREAM',
      `Upstream ${context.providerId} failed while running ${sanitizeUpstreamMessage(nodeType)} (${sanitizeUpstreamMessage(exceptionType)})`,
      { status: 502, isRetryable: false, details },
    );
  }
  if (interrupted) {
    // Someone pressed "cancel" on the ComfyUI server; the graph itself is fine.
    return new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${context.providerId} interrupted the job`, {
      status: 502,
      isRetryable: true,
      details,
    });
  }
  return new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${context.providerId} reported the job as failed`, {
    status: 502,
    isRetryable: false,
    details,
  });
}

/** Output images in node-id order; saved files win over previews when a graph has both. */
function outputImages(outputs: unknown): ComfyImageReference[] {
  if (!isRecord(outputs)) return [];
  const images: ComfyImageReference[] = [];
  const nodeIds = Object.keys(outputs).sort((left, right) => left.localeCompare(right, 'en', { numeric: true }));
  for (const nodeId of nodeIds) {
    const output = outputs[nodeId];
    if (!isRecord(output) || !Array.isArray(output.images)) continue;
    for (const image of output.images) {
      if (!isRecord(image) || typeof image.filename !== 'string' || image.filename === '') continue;
      images.push({
        filename: image.filename,
        subfolder: typeof image.subfolder === 'string' ? image.subfolder : '',
        type: typeof image.type === 'string' ? image.type : 'output',
      });
    }
  }
  const saved = images.filter((image) => image.type === 'output');
  return saved.length > 0 ? saved : images;
}

/**
 * GET /history/{id} answers `{}` until the job has finished, then
 * `{[id]: {outputs, status: {status_str, completed, messages}}}`.
 */
export function readHistory(body: unknown, promptId: string, context: UpstreamErrorContext): HistoryState {
  if (!isRecord(body)) throw upstreamProtocolError(context, 'answered the history request with something else');
  const entry = body[promptId];
  if (entry === undefined) return { state: 'pending' };
  if (!isRecord(entry)) throw upstreamProtocolError(context, 'answered the history request with something else');
  const status = isRecord(entry.status) ? entry.status : undefined;
  if (status?.status_str === 'error') return { state: 'failed', error: executionFailure(context, status.messages) };
  if (status?.completed === false) return { state: 'pending' };
  const images = outputImages(entry.outputs);
  if (images.length === 0) {
    return {
      state: 'failed',
      error: new SwitchyardError(
        'SY_ERR_UPSTREAM',
        `Upstream ${context.providerId} finished the job without any images; does the workflow have a SaveImage node?`,
        { status: 502, isRetryable: false, details: { provider: context.providerId } },
      ),
    };
  }
  return { state: 'done', images };
}

/** `/view?filename=&subfolder=&type=`, relative to the server root. */
export function viewPath(image: ComfyImageReference): string {
  const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type });
  return `/view?${query.toString()}`;
}
