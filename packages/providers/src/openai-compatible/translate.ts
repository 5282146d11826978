import Type, { type TSchema } from 'typebox';
import { type UpstreamErrorContext, upstreamProtocolError, upstreamStreamError } from '../errors';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModerationRequest,
  ModerationResponse,
  TextCompletion,
  TextCompletionChunk,
  TextCompletionRequest,
  UpstreamModel,
  Usage,
} from '../spec';
import { upstreamShape } from '../upstream-shape';

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

/*
 * Answers pass through to clients as the upstream sent them, so their choices
 * and usage are checked only for what Switchyard itself reads (content, tool
 * calls, finish reason, token counts) and are declared with the spec's types:
 * the rest is OpenAI's format as clients expect it, finish reasons beyond the
 * spec's four (OpenRouter's `error`, the legacy `function_call`) and logprobs
 * objects included, and is not Switchyard's to reject.
 */
const nullableString = Type.Union([Type.String(), Type.Null()]);
const toolCalls = Type.Optional(Type.Array(Type.Object({})));
const usage = Type.Unsafe<Usage>(
  Type.Object({
    prompt_tokens: Type.Number(),
    completion_tokens: Type.Number(),
    total_tokens: Type.Optional(Type.Number()),
  }),
);
const completionChoices = Type.Unsafe<ChatCompletion['choices']>(
  Type.Array(
    Type.Object({
      message: Type.Object({ content: Type.Optional(nullableString), tool_calls: toolCalls }),
      finish_reason: Type.Optional(nullableString),
    }),
  ),
);
const chunkChoices = Type.Unsafe<ChatCompletionChunk['choices']>(
  Type.Array(
    Type.Object({
      delta: Type.Object({ content: Type.Optional(nullableString), tool_calls: toolCalls }),
      finish_reason: Type.Optional(nullableString),
    }),
  ),
);

/** What OpenAI itself sends: such an answer goes out as it came, without a copy. */
const completeCompletion = upstreamShape(
  'an answer',
  Type.Object({
    id: Type.String(),
    object: Type.Literal('chat.completion'),
    created: Type.Number(),
    model: Type.String(),
    choices: completionChoices,
    usage: Type.Optional(usage),
  }),
);

/**
 * An upstream answer or stream event as servers send it: chat and text completions alike. Servers that
 * leave out fields OpenAI always sends (vLLM, LM Studio, proxies) get them filled in by the readers.
 */
function upstreamEnvelope<const Choices extends TSchema>(what: string, choices: Choices) {
  return upstreamShape(
    what,
    Type.Object({
      id: Type.Optional(Type.String()),
      created: Type.Optional(Type.Number()),
      model: Type.Optional(Type.String()),
      choices,
      usage: Type.Optional(Type.Union([usage, Type.Null()])),
    }),
  );
}

/** Usage-only chunks come with an empty list of choices, or from some servers with none or null. */
const chunkOf = <const Choices extends TSchema>(choices: Choices) => Type.Optional(Type.Union([choices, Type.Null()]));

const upstreamCompletion = upstreamEnvelope('an answer', completionChoices);
const upstreamChunk = upstreamEnvelope('a stream event', chunkOf(chunkChoices));

export function fromUpstreamCompletion(
  body: unknown,
  request: ChatRequest,
  context: UpstreamErrorContext,
): ChatCompletion {
  if (completeCompletion.check(body)) return body;
  const { usage: reported, ...completion } = upstreamCompletion.read(body, context);
  return {
    ...completion,
    id: completion.id ?? '',
    object: 'chat.completion',
    created: completion.created ?? Math.floor(Date.now() / 1000),
    model: completion.model ?? request.model,
    ...(reported ? { usage: reported } : {}),
  };
}

/** One SSE `data:` payload as JSON; an `error` object inside a 200 stream becomes a thrown SwitchyardError. */
function parseStreamEvent(data: string, context: UpstreamErrorContext): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (error) {
    throw upstreamProtocolError(context, 'sent an unreadable stream event', error);
  }
  if (!isRecord(parsed)) throw upstreamProtocolError(context, 'sent an unreadable stream event');
  if (parsed.error !== undefined && parsed.error !== null) throw upstreamStreamError(context, parsed);
  return parsed;
}

/** One SSE `data:` payload; an `error` object inside a 200 stream becomes a thrown SwitchyardError. */
export function fromUpstreamChunk(
  data: string,
  request: ChatRequest,
  context: UpstreamErrorContext,
): ChatCompletionChunk {
  const chunk = upstreamChunk.read(parseStreamEvent(data, context), context);
  return {
    ...chunk,
    id: chunk.id ?? '',
    object: 'chat.completion.chunk',
    created: chunk.created ?? Math.floor(Date.now() / 1000),
    model: chunk.model ?? request.model,
    choices: chunk.choices ?? [],
  };
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

const upstreamEmbeddings = upstreamShape(
  'embeddings',
  Type.Object({
    data: Type.Array(Type.Object({ embedding: Type.Array(Type.Number()), index: Type.Optional(Type.Number()) })),
    model: Type.Optional(Type.String()),
    usage: Type.Optional(
      Type.Object({ prompt_tokens: Type.Optional(Type.Number()), total_tokens: Type.Optional(Type.Number()) }),
    ),
  }),
);

export function fromUpstreamEmbeddings(
  body: unknown,
  request: EmbeddingsRequest,
  context: UpstreamErrorContext,
): EmbeddingsResponse {
  const answer = upstreamEmbeddings.read(body, context);
  const data = answer.data.map((entry, position) => ({
    object: 'embedding' as const,
    index: entry.index ?? position,
    embedding: entry.embedding,
  }));
  const promptTokens = answer.usage?.prompt_tokens ?? 0;
  const totalTokens = answer.usage?.total_tokens ?? promptTokens;
  return {
    object: 'list',
    data: data.sort((left, right) => left.index - right.index),
    model: answer.model ?? request.model,
    usage: { prompt_tokens: promptTokens, total_tokens: totalTokens },
  };
}

/** A legacy completions request passes through; `model` and the stream flags are ours (usage is always asked for). */
export function toUpstreamTextRequest(request: TextCompletionRequest, stream: boolean): Record<string, unknown> {
  return toUpstreamRequest(request as unknown as ChatRequest, stream);
}

const textChoices = Type.Unsafe<TextCompletion['choices']>(
  Type.Array(
    Type.Object({
      text: Type.String(),
      index: Type.Optional(Type.Number()),
      finish_reason: Type.Optional(nullableString),
    }),
  ),
);

const upstreamText = upstreamEnvelope('a completion', textChoices);
const upstreamTextChunk = upstreamEnvelope('a stream event', chunkOf(textChoices));

/** The upstream's `text_completion` as it came, with the fields some servers leave out filled in. */
export function fromUpstreamTextCompletion(
  body: unknown,
  request: TextCompletionRequest,
  context: UpstreamErrorContext,
): TextCompletion {
  const { usage: reported, ...completion } = upstreamText.read(body, context);
  return {
    ...completion,
    id: completion.id ?? '',
    object: 'text_completion',
    created: completion.created ?? Math.floor(Date.now() / 1000),
    model: completion.model ?? request.model,
    choices: completion.choices.map((choice, position) => ({
      ...choice,
      index: choice.index ?? position,
      finish_reason: choice.finish_reason ?? null,
      logprobs: choice.logprobs ?? null,
    })),
    ...(reported ? { usage: reported } : {}),
  };
}

export function fromUpstreamTextChunk(
  data: string,
  request: TextCompletionRequest,
  context: UpstreamErrorContext,
): TextCompletionChunk {
  const chunk = upstreamTextChunk.read(parseStreamEvent(data, context), context);
  return {
    ...chunk,
    id: chunk.id ?? '',
    object: 'text_completion',
    created: chunk.created ?? Math.floor(Date.now() / 1000),
    model: chunk.model ?? request.model,
    choices: (chunk.choices ?? []).map((choice, position) => ({
      ...choice,
      index: choice.index ?? position,
      finish_reason: choice.finish_reason ?? null,
      logprobs: choice.logprobs ?? null,
    })),
  };
}

const upstreamModeration = upstreamShape(
  'a moderation',
  Type.Object({
    id: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    results: Type.Array(Type.Object({ flagged: Type.Boolean() })),
  }),
);

/** OpenAI's moderation answer, as it came (its categories are OpenAI's to define). */
export function fromUpstreamModeration(
  body: unknown,
  request: ModerationRequest,
  context: UpstreamErrorContext,
): ModerationResponse {
  const answer = upstreamModeration.read(body, context);
  return { ...answer, id: answer.id ?? '', model: answer.model ?? request.model };
}
