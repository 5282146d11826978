import { type UpstreamErrorContext, upstreamProtocolError, upstreamStreamError } from '../errors';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  UpstreamModel,
} from '../spec';

/**
 * The upstream already speaks our format, so translation is mostly pass-through:
 * it pins `model`, owns the `stream` flags and normalises answers from servers
 * (vLLM, LM Studio, proxies) that leave out fields OpenAI always sends.
 */
export function toUpstreamRequest(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const { stream: _stream, stream_options: streamOptions, ...rest } = request;
  const body: Record<string, unknown> = {};
  for (const key in rest) {
    const value = (rest as Record<string, unknown>)[key];
    if (value !== undefined) body[key] = value;
  }
  body.model = request.model;
  if (stream) {
    body.stream = true;
    const callerOptions = streamOptions !== null && typeof streamOptions === 'object' ? streamOptions : {};
    // Usage is how Switchyard meters streams, so it is always requested.
    body.stream_options = { ...callerOptions, include_usage: true };
  } else {
    body.stream = false;
  }
  return body;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function fromUpstreamCompletion(
  body: unknown,
  request: ChatRequest,
  context: UpstreamErrorContext,
): ChatCompletion {
  if (!isRecord(body) || !Array.isArray(body.choices)) {
    throw upstreamProtocolError(context, 'answered without a choices array');
  }
  if (
    typeof body.id === 'string' &&
    body.object === 'chat.completion' &&
    typeof body.created === 'number' &&
    typeof body.model === 'string'
  ) {
    // Already complete (OpenAI and most servers): the parsed body is the answer, no copy.
    return body as unknown as ChatCompletion;
  }
  return {
    ...body,
    id: typeof body.id === 'string' ? body.id : '',
    object: 'chat.completion',
    created: typeof body.created === 'number' ? body.created : Math.floor(Date.now() / 1000),
    model: typeof body.model === 'string' ? body.model : request.model,
    choices: body.choices as ChatCompletion['choices'],
  } as ChatCompletion;
}

/** One SSE `data:` payload; an `error` object inside a 200 stream becomes a thrown SwitchyardError. */
export function fromUpstreamChunk(
  data: string,
  request: ChatRequest,
  context: UpstreamErrorContext,
): ChatCompletionChunk {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (error) {
    throw upstreamProtocolError(context, 'sent an unreadable stream event', error);
  }
  if (!isRecord(parsed)) throw upstreamProtocolError(context, 'sent an unreadable stream event');
  if (parsed.error !== undefined && parsed.error !== null) throw upstreamStreamError(context, parsed);
  return {
    ...parsed,
    id: typeof parsed.id === 'string' ? parsed.id : '',
    object: 'chat.completion.chunk',
    created: typeof parsed.created === 'number' ? parsed.created : Math.floor(Date.now() / 1000),
    model: typeof parsed.model === 'string' ? parsed.model : request.model,
    choices: Array.isArray(parsed.choices) ? (parsed.choices as ChatCompletionChunk['choices']) : [],
  } as ChatCompletionChunk;
}

export function fromUpstreamModels(body: unknown, context: UpstreamErrorContext): UpstreamModel[] {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw upstreamProtocolError(context, 'answered the model list without a data array');
  }
  const models: UpstreamModel[] = [];
  for (const entry of body.data) {
    if (!isRecord(entry) || typeof entry.id !== 'string') continue;
    models.push(typeof entry.owned_by === 'string' ? { id: entry.id, ownedBy: entry.owned_by } : { id: entry.id });
  }
  return models;
}

export function toUpstreamEmbeddingsRequest(request: EmbeddingsRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, input: request.input };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user !== undefined) body.user = request.user;
  // Always floats: the spec promises number[], and base64 is re-encoded for clients by the HTTP layer.
  body.encoding_format = 'float';
  return body;
}

export function fromUpstreamEmbeddings(
  body: unknown,
  request: EmbeddingsRequest,
  context: UpstreamErrorContext,
): EmbeddingsResponse {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw upstreamProtocolError(context, 'answered the embeddings request without a data array');
  }
  const data = body.data.map((entry: unknown, position) => {
    if (!isRecord(entry) || !Array.isArray(entry.embedding)) {
      throw upstreamProtocolError(context, 'answered with an unreadable embedding');
    }
    const index = typeof entry.index === 'number' ? entry.index : position;
    return { object: 'embedding' as const, index, embedding: entry.embedding as number[] };
  });
  const usage = isRecord(body.usage) ? body.usage : {};
  const promptTokens = typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0;
  const totalTokens = typeof usage.total_tokens === 'number' ? usage.total_tokens : promptTokens;
  return {
    object: 'list',
    data: data.sort((left, right) => left.index - right.index),
    model: typeof body.model === 'string' ? body.model : request.model,
    usage: { prompt_tokens: promptTokens, total_tokens: totalTokens },
  };
}
