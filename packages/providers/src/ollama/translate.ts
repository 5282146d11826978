import { SwitchyardError } from '@switchyard/core';
import Type, { type Static } from 'typebox';
import { createCompletionId, createToolCallId, unixSeconds } from '../completion-id';
import { type UpstreamErrorContext, upstreamProtocolError, upstreamStreamError } from '../errors';
import { textOfContent } from '../message-text';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  FinishReason,
  ToolCall,
  UpstreamModel,
  Usage,
} from '../spec';
import { isImagePart } from '../spec';
import { type UpstreamShape, upstreamShape } from '../upstream-shape';

/** Ollama's native `/api/chat` protocol (https://docs.ollama.com/api/chat). */
export interface OllamaToolCall {
  function: { name: string; arguments: Record<string, unknown> };
}

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
}

export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  options?: Record<string, unknown>;
  format?: 'json' | Record<string, unknown>;
  tools?: unknown[];
  keep_alive?: string | number;
}

/** One answer of `/api/chat`, or one line of its stream; only the fields read here. */
const chatResponseSchema = Type.Object({
  model: Type.Optional(Type.String()),
  created_at: Type.Optional(Type.String()),
  message: Type.Optional(
    Type.Object({
      content: Type.Optional(Type.String()),
      tool_calls: Type.Optional(
        Type.Array(
          Type.Object({
            function: Type.Object({
              name: Type.String(),
              arguments: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            }),
          }),
        ),
      ),
    }),
  ),
  done: Type.Optional(Type.Boolean()),
  done_reason: Type.Optional(Type.String()),
  prompt_eval_count: Type.Optional(Type.Number()),
  eval_count: Type.Optional(Type.Number()),
});
export type OllamaChatResponse = Static<typeof chatResponseSchema>;
type OllamaResponseToolCall = NonNullable<NonNullable<OllamaChatResponse['message']>['tool_calls']>[number];
const chatAnswer = upstreamShape('an answer', chatResponseSchema);
const streamLine = upstreamShape('a stream line', chatResponseSchema);

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_VALIDATION', message, { isRetryable: false });
}

/** Ollama only takes inline base64; fetching remote image URLs on a client's behalf would be an SSRF hole. */
function imageFromUrl(url: string): string {
  const match = /^data:([^,]*?),(.*)$/s.exec(url);
  if (match === null) throw invalid('Ollama models accept images only as data: URLs');
  const [, meta = '', data = ''] = match;
  return meta.endsWith(';base64') ? data : Buffer.from(decodeURIComponent(data)).toString('base64');
}

function toolArguments(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw invalid('Tool call arguments must be a JSON object');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('Tool call arguments must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function toOllamaMessage(message: ChatMessage): OllamaMessage {
  // Ollama has no `developer` role; it plays the same part as `system`.
  const role = message.role === 'developer' ? 'system' : message.role;
  const translated: OllamaMessage = { role, content: textOfContent(message.content) };
  if (Array.isArray(message.content)) {
    const images = message.content.flatMap((part) => (isImagePart(part) ? [imageFromUrl(part.image_url.url)] : []));
    if (images.length > 0) translated.images = images;
  }
  if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
    translated.tool_calls = message.tool_calls.map((call) => ({
      function: { name: call.function.name, arguments: toolArguments(call.function.arguments) },
    }));
  }
  if (message.role === 'tool' && message.name !== undefined) translated.tool_name = message.name;
  return translated;
}

export function toOllamaRequest(request: ChatRequest, stream: boolean): OllamaChatRequest {
  const options: Record<string, unknown> = {};
  // Native Ollama options (num_ctx, ...) pass through; the OpenAI fields below win over them.
  if (request.options !== null && typeof request.options === 'object') Object.assign(options, request.options);
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.top_p !== undefined) options.top_p = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) options.num_predict = maxTokens;
  if (request.stop !== undefined) options.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.presence_penalty !== undefined) options.presence_penalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) options.frequency_penalty = request.frequency_penalty;

  const body: OllamaChatRequest = { model: request.model, messages: request.messages.map(toOllamaMessage), stream };
  if (Object.keys(options).length > 0) body.options = options;
  const format = request.response_format;
  if (format?.type === 'json_object') body.format = 'json';
  if (format?.type === 'json_schema') {
    const schema = (format.json_schema as { schema?: unknown } | undefined)?.schema;
    body.format = schema !== null && typeof schema === 'object' ? (schema as Record<string, unknown>) : 'json';
  }
  if (request.tools !== undefined && request.tools.length > 0) body.tools = request.tools;
  if (typeof request.keep_alive === 'string' || typeof request.keep_alive === 'number') {
    body.keep_alive = request.keep_alive;
  }
  return body;
}

function finishReasonOf(doneReason: string | undefined, sawToolCalls: boolean): FinishReason {
  if (sawToolCalls) return 'tool_calls';
  return doneReason === 'length' ? 'length' : 'stop';
}

function usageOf(response: OllamaChatResponse): Usage {
  // Ollama leaves prompt_eval_count out when the whole prompt came from its cache.
  const promptTokens = response.prompt_eval_count ?? 0;
  const completionTokens = response.eval_count ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function createdOf(response: OllamaChatResponse): number {
  const parsed = response.created_at === undefined ? Number.NaN : Date.parse(response.created_at);
  return Number.isNaN(parsed) ? unixSeconds() : Math.floor(parsed / 1000);
}

function toToolCalls(calls: OllamaResponseToolCall[]): ToolCall[] {
  return calls.map((call) => ({
    id: createToolCallId(),
    type: 'function',
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) },
  }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asResponse(
  value: unknown,
  shape: UpstreamShape<OllamaChatResponse>,
  context: UpstreamErrorContext,
): OllamaChatResponse {
  if (!isRecord(value)) throw upstreamProtocolError(context, 'sent an unreadable answer');
  // Ollama reports failures after a 200 (e.g. the runner crashed) as an `error` line.
  if (value.error !== undefined) throw upstreamStreamError(context, value);
  return shape.read(value, context);
}

export function fromOllamaResponse(
  value: unknown,
  request: ChatRequest,
  context: UpstreamErrorContext,
): ChatCompletion {
  const response = asResponse(value, chatAnswer, context);
  const toolCalls = response.message?.tool_calls ?? [];
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: response.message?.content ?? '',
  };
  if (toolCalls.length > 0) message.tool_calls = toToolCalls(toolCalls);
  return {
    id: createCompletionId(),
    object: 'chat.completion',
    created: createdOf(response),
    model: response.model ?? request.model,
    choices: [
      { index: 0, message, finish_reason: finishReasonOf(response.done_reason, toolCalls.length > 0), logprobs: null },
    ],
    usage: usageOf(response),
  };
}

/** Turns NDJSON lines into OpenAI chunks that share one id, with the role first and usage last. */
export function createChunkTranslator(request: ChatRequest, context: UpstreamErrorContext) {
  const id = createCompletionId();
  let created: number | undefined;
  let sentRole = false;
  let toolCallCount = 0;
  let done = false;

  function chunk(
    response: OllamaChatResponse,
    delta: ChatCompletionChunk['choices'][number]['delta'],
    finishReason: FinishReason,
  ): ChatCompletionChunk {
    created ??= createdOf(response);
    return {
      id,
      object: 'chat.completion.chunk',
      created,
      model: response.model ?? request.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    };
  }

  return {
    get done() {
      return done;
    },
    translate(line: string): ChatCompletionChunk[] {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        throw upstreamProtocolError(context, 'sent an unreadable stream line', error);
      }
      const response = asResponse(parsed, streamLine, context);
      const chunks: ChatCompletionChunk[] = [];
      const content = response.message?.content ?? '';
      const toolCalls = response.message?.tool_calls ?? [];
      if (!sentRole || content !== '' || toolCalls.length > 0) {
        const delta: ChatCompletionChunk['choices'][number]['delta'] = { content };
        if (!sentRole) delta.role = 'assistant';
        if (toolCalls.length > 0) {
          delta.tool_calls = toToolCalls(toolCalls).map((call) => ({ ...call, index: toolCallCount++ }));
        }
        sentRole = true;
        chunks.push(chunk(response, delta, null));
      }
      if (response.done === true) {
        done = true;
        const final = chunk(response, {}, finishReasonOf(response.done_reason, toolCallCount > 0));
        final.usage = usageOf(response);
        chunks.push(final);
      }
      return chunks;
    },
  };
}

export function fromOllamaTags(body: unknown, context: UpstreamErrorContext): UpstreamModel[] {
  const models = isRecord(body) ? body.models : undefined;
  if (!Array.isArray(models)) throw upstreamProtocolError(context, 'answered the model list without a models array');
  // Entries without a name are skipped rather than failing the whole list.
  return models.flatMap((entry: unknown) => {
    const name = isRecord(entry) ? (entry.name ?? entry.model) : undefined;
    return typeof name === 'string' ? [{ id: name }] : [];
  });
}

/** Ollama's `/api/embed` (not the older single-input `/api/embeddings`). */
export function toOllamaEmbedRequest(request: EmbeddingsRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, input: request.input };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  return body;
}

const embedAnswer = upstreamShape(
  'embeddings',
  Type.Object({
    embeddings: Type.Array(Type.Array(Type.Number())),
    model: Type.Optional(Type.String()),
    prompt_eval_count: Type.Optional(Type.Number()),
  }),
);

export function fromOllamaEmbed(
  body: unknown,
  request: EmbeddingsRequest,
  context: UpstreamErrorContext,
): EmbeddingsResponse {
  const answer = embedAnswer.read(body, context);
  const data = answer.embeddings.map((embedding, index) => ({ object: 'embedding' as const, index, embedding }));
  const promptTokens = answer.prompt_eval_count ?? 0;
  return {
    object: 'list',
    data,
    model: answer.model ?? request.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
