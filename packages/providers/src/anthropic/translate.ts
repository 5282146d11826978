import { SwitchyardError } from '@switchyard/core';
import Type, { type Static } from 'typebox';
import { createCompletionId, unixSeconds } from '../completion-id';
import { type UpstreamErrorContext, upstreamProtocolError, upstreamStreamError } from '../errors';
import { textOfContent } from '../message-text';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatRequest,
  FinishReason,
  ToolCall,
  UpstreamModel,
  Usage,
} from '../spec';
import { isImagePart, isTextPart } from '../spec';
import { upstreamShape } from '../upstream-shape';

/** Anthropic's Messages API (https://docs.anthropic.com/en/api/messages), version 2023-06-01. */
export const anthropicVersion = '2023-06-01';

/** Anthropic requires `max_tokens`; OpenAI clients usually leave it out. */
export const defaultMaxTokens = 4096;

export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicContentBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: unknown;
}

export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: string;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: AnthropicTool[];
  tool_choice?: Record<string, unknown>;
  metadata?: { user_id: string };
  stream: boolean;
}

/*
 * What arrives from Anthropic, as far as it is read here: blocks and events of
 * types added later pass as long as the fields below have these types.
 */
const optionalCount = Type.Optional(Type.Union([Type.Number(), Type.Null()]));
const usageSchema = Type.Object({
  input_tokens: Type.Optional(Type.Number()),
  output_tokens: Type.Optional(Type.Number()),
  cache_creation_input_tokens: optionalCount,
  cache_read_input_tokens: optionalCount,
});
type AnthropicUsage = Static<typeof usageSchema>;

const blockSchema = Type.Object({
  type: Type.String(),
  text: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  input: Type.Optional(Type.Unknown()),
});

const messageAnswer = upstreamShape(
  'an answer',
  Type.Object({
    model: Type.Optional(Type.String()),
    content: Type.Array(blockSchema),
    stop_reason: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    usage: Type.Optional(usageSchema),
  }),
);

const messageStart = upstreamShape(
  'a stream event',
  Type.Object({
    message: Type.Optional(Type.Object({ model: Type.Optional(Type.String()), usage: Type.Optional(usageSchema) })),
  }),
);
const contentBlockStart = upstreamShape(
  'a stream event',
  Type.Object({ index: Type.Optional(Type.Number()), content_block: Type.Optional(blockSchema) }),
);
const contentBlockDelta = upstreamShape(
  'a stream event',
  Type.Object({
    index: Type.Optional(Type.Number()),
    delta: Type.Optional(
      Type.Object({
        type: Type.Optional(Type.String()),
        text: Type.Optional(Type.String()),
        partial_json: Type.Optional(Type.String()),
      }),
    ),
  }),
);
const messageDelta = upstreamShape(
  'a stream event',
  Type.Object({
    delta: Type.Optional(Type.Object({ stop_reason: Type.Optional(Type.Union([Type.String(), Type.Null()])) })),
    usage: Type.Optional(usageSchema),
  }),
);

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_VALIDATION', message, { isRetryable: false });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Only inline data: fetching remote image URLs on a client's behalf would be an SSRF hole. */
function imageBlock(url: string): AnthropicContentBlock {
  const match = /^data:([^,]*?),(.*)$/s.exec(url);
  if (match === null) throw invalid('Anthropic models accept images only as data: URLs');
  const [, meta = '', payload = ''] = match;
  const isBase64 = meta.endsWith(';base64');
  const mediaType = (isBase64 ? meta.slice(0, -';base64'.length) : meta).split(';')[0] || 'image/png';
  const data = isBase64 ? payload : Buffer.from(decodeURIComponent(payload)).toString('base64');
  return { type: 'image', source: { type: 'base64', media_type: mediaType, data } };
}

function toolInput(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw invalid('Tool call arguments must be a JSON object');
  }
  if (!isRecord(parsed)) throw invalid('Tool call arguments must be a JSON object');
  return parsed;
}

/**
 * Anthropic only accepts `[a-zA-Z0-9_-]` in tool ids, while ids minted by other
 * upstreams (after a fallback) may hold anything; the same mapping on both the
 * call and its result keeps them paired.
 */
export function anthropicToolId(id: string): string {
  const clean = id.replace(/[^a-zA-Z0-9_-]/g, '_');
  return clean === '' ? 'call_' : clean;
}

function contentBlocks(content: ChatMessage['content']): AnthropicContentBlock[] {
  if (content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: AnthropicContentBlock[] = [];
  for (const part of content) {
    if (isTextPart(part)) {
      // Anthropic rejects empty text blocks.
      if (part.text !== '') blocks.push({ type: 'text', text: part.text });
    } else if (isImagePart(part)) {
      blocks.push(imageBlock(part.image_url.url));
    }
  }
  return blocks;
}

function assistantBlocks(message: ChatMessage): AnthropicContentBlock[] {
  const blocks = contentBlocks(message.content);
  for (const call of message.tool_calls ?? []) {
    blocks.push({
      type: 'tool_use',
      id: anthropicToolId(call.id),
      name: call.function.name,
      input: toolInput(call.function.arguments),
    });
  }
  return blocks;
}

function jsonInstruction(request: ChatRequest): string | undefined {
  const format = request.response_format;
  if (format?.type === 'json_object') return 'Respond with one valid JSON object and nothing else.';
  if (format?.type === 'json_schema') {
    const schema = (format.json_schema as { schema?: unknown } | undefined)?.schema;
    return schema === undefined
      ? 'Respond with one valid JSON object and nothing else.'
      : `Respond with one valid JSON object that matches this JSON Schema, and nothing else:\n${JSON.stringify(schema)}`;
  }
  return undefined;
}

function toAnthropicTools(tools: unknown[]): AnthropicTool[] {
  const translated: AnthropicTool[] = [];
  for (const tool of tools) {
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) continue;
    const { name, description, parameters } = tool.function;
    if (typeof name !== 'string') throw invalid('Every function tool needs a name');
    const entry: AnthropicTool = {
      name,
      // Anthropic requires a schema even for tools without parameters.
      input_schema: isRecord(parameters) ? parameters : { type: 'object', properties: {} },
    };
    if (typeof description === 'string') entry.description = description;
    translated.push(entry);
  }
  return translated;
}

function toAnthropicToolChoice(choice: unknown, parallel: unknown): Record<string, unknown> | undefined {
  let translated: Record<string, unknown> | undefined;
  if (choice === 'auto') translated = { type: 'auto' };
  else if (choice === 'none') translated = { type: 'none' };
  else if (choice === 'required') translated = { type: 'any' };
  else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    translated = { type: 'tool', name: choice.function.name };
  }
  if (parallel === false) {
    translated ??= { type: 'auto' };
    if (translated.type !== 'none') translated.disable_parallel_tool_use = true;
  }
  return translated;
}

export function toAnthropicRequest(request: ChatRequest, stream: boolean): AnthropicRequest {
  const systemTexts: string[] = [];
  const messages: AnthropicMessage[] = [];

  function append(role: AnthropicMessage['role'], blocks: AnthropicContentBlock[]): void {
    if (blocks.length === 0) return;
    const previous = messages.at(-1);
    // Tool results for parallel calls must share one user turn, and Anthropic expects turns to alternate.
    if (previous?.role === role) previous.content.push(...blocks);
    else messages.push({ role, content: blocks });
  }

  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOfContent(message.content);
        if (text !== '') systemTexts.push(text);
        break;
      }
      case 'user':
        append('user', contentBlocks(message.content));
        break;
      case 'assistant':
        append('assistant', assistantBlocks(message));
        break;
      case 'tool':
        if (message.tool_call_id === undefined) throw invalid('A tool message needs tool_call_id');
        append('user', [
          {
            type: 'tool_result',
            tool_use_id: anthropicToolId(message.tool_call_id),
            content: textOfContent(message.content),
          },
        ]);
        break;
    }
  }

  const instruction = jsonInstruction(request);
  if (instruction !== undefined) systemTexts.push(instruction);

  const body: AnthropicRequest = {
    model: request.model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens,
    messages,
    stream,
  };
  if (systemTexts.length > 0) body.system = systemTexts.join('\n\n');
  // OpenAI allows temperatures up to 2, Anthropic up to 1; clamping keeps such requests answerable.
  if (request.temperature !== undefined) body.temperature = Math.min(1, Math.max(0, request.temperature));
  if (request.top_p !== undefined) body.top_p = request.top_p;
  if (typeof request.top_k === 'number') body.top_k = request.top_k;
  if (request.stop !== undefined) {
    const stops = (typeof request.stop === 'string' ? [request.stop] : request.stop).filter((stop) => stop !== '');
    if (stops.length > 0) body.stop_sequences = stops;
  }
  if (request.tools !== undefined && request.tools.length > 0) {
    const tools = toAnthropicTools(request.tools);
    if (tools.length > 0) body.tools = tools;
  }
  if (body.tools !== undefined) {
    const choice = toAnthropicToolChoice(request.tool_choice, request.parallel_tool_calls);
    if (choice !== undefined) body.tool_choice = choice;
  }
  if (request.user !== undefined && request.user !== '') body.metadata = { user_id: request.user };
  return body;
}

function finishReasonOf(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

function usageOf(inputUsage: AnthropicUsage | undefined, outputTokens: number | undefined): Usage {
  // Cached prompt tokens are still prompt tokens to the caller; Anthropic counts them apart.
  const promptTokens =
    (inputUsage?.input_tokens ?? 0) +
    (inputUsage?.cache_creation_input_tokens ?? 0) +
    (inputUsage?.cache_read_input_tokens ?? 0);
  const completionTokens = outputTokens ?? inputUsage?.output_tokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

export function fromAnthropicMessage(
  body: unknown,
  request: ChatRequest,
  context: UpstreamErrorContext,
): ChatCompletion {
  const response = messageAnswer.read(body, context);
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of response.content) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: createCompletionId(),
    object: 'chat.completion',
    created: unixSeconds(),
    model: response.model ?? request.model,
    choices: [{ index: 0, message, finish_reason: finishReasonOf(response.stop_reason), logprobs: null }],
    usage: usageOf(response.usage, response.usage?.output_tokens),
  };
}

type Delta = ChatCompletionChunk['choices'][number]['delta'];

/**
 * Turns Anthropic's SSE events into OpenAI chunks that share one id: the role
 * first, text and tool-call pieces as they come, finish reason and usage last.
 * Only `message_stop` completes the stream.
 */
export function createAnthropicStreamTranslator(request: ChatRequest, context: UpstreamErrorContext) {
  const id = createCompletionId();
  const created = unixSeconds();
  let model = request.model;
  let inputUsage: AnthropicUsage | undefined;
  let outputTokens: number | undefined;
  let stopReason: string | null | undefined;
  let done = false;
  const toolIndexByBlock = new Map<number, number>();

  function chunk(delta: Delta, finishReason: FinishReason = null): ChatCompletionChunk {
    return {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    };
  }

  return {
    get done() {
      return done;
    },
    translate(data: string): ChatCompletionChunk[] {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch (error) {
        throw upstreamProtocolError(context, 'sent an unreadable stream event', error);
      }
      if (!isRecord(parsed)) throw upstreamProtocolError(context, 'sent an unreadable stream event');
      switch (parsed.type) {
        case 'message_start': {
          const { message } = messageStart.read(parsed, context);
          if (message?.model !== undefined) model = message.model;
          inputUsage = message?.usage;
          return [chunk({ role: 'assistant', content: '' })];
        }
        case 'content_block_start': {
          const { index, content_block: block } = contentBlockStart.read(parsed, context);
          if (block?.type !== 'tool_use' || index === undefined) return [];
          const toolIndex = toolIndexByBlock.size;
          toolIndexByBlock.set(index, toolIndex);
          return [
            chunk({
              tool_calls: [
                {
                  index: toolIndex,
                  id: block.id ?? '',
                  type: 'function',
                  function: { name: block.name ?? '', arguments: '' },
                },
              ],
            }),
          ];
        }
        case 'content_block_delta': {
          const { index, delta = {} } = contentBlockDelta.read(parsed, context);
          if (delta.type === 'text_delta' && delta.text !== undefined && delta.text !== '') {
            return [chunk({ content: delta.text })];
          }
          if (delta.type === 'input_json_delta' && delta.partial_json !== undefined) {
            const toolIndex = index === undefined ? undefined : toolIndexByBlock.get(index);
            if (toolIndex === undefined || delta.partial_json === '') return [];
            return [chunk({ tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] })];
          }
          // Thinking and signature deltas have no place in the OpenAI format.
          return [];
        }
        case 'message_delta': {
          const { delta, usage } = messageDelta.read(parsed, context);
          if (typeof delta?.stop_reason === 'string') stopReason = delta.stop_reason;
          if (usage?.output_tokens !== undefined) outputTokens = usage.output_tokens;
          // Newer API versions repeat the final input counts here; they win over message_start's.
          if (usage?.input_tokens !== undefined) inputUsage = { ...inputUsage, ...usage };
          return [];
        }
        case 'message_stop': {
          done = true;
          const final = chunk({}, finishReasonOf(stopReason));
          final.usage = usageOf(inputUsage, outputTokens);
          return [final];
        }
        case 'error':
          throw upstreamStreamError(context, parsed);
        default:
          // ping, content_block_stop and event types added later carry nothing for us.
          return [];
      }
    },
  };
}

export function fromAnthropicModels(
  body: unknown,
  context: UpstreamErrorContext,
): { models: UpstreamModel[]; next?: string } {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw upstreamProtocolError(context, 'answered the model list without a data array');
  }
  const models = body.data.flatMap((entry: unknown) =>
    isRecord(entry) && typeof entry.id === 'string' ? [{ id: entry.id, ownedBy: 'anthropic' }] : [],
  );
  const next = body.has_more === true && typeof body.last_id === 'string' ? body.last_id : undefined;
  return next === undefined ? { models } : { models, next };
}
