import type {
  AnthropicContentBlock,
  AnthropicCountTokensRequest,
  AnthropicMessagesRequest,
  AnthropicMessagesResponse,
} from '@switchyard/api-schemas';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatRequest,
  ContentPart,
  FinishReason,
  ToolCall,
  Usage,
} from '@switchyard/providers';

/**
 * Anthropic's Messages API ↔ the internal chat request (OpenAI's chat-completions shape), so a Claude
 * client reaches any provider through the same routing, cache, limits and usage as /v1/chat/completions.
 */

type StopReason = AnthropicMessagesResponse['stop_reason'];

function textOfBlocks(content: string | readonly { type: string; text?: unknown }[] | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('\n');
}

function imagePart(block: Extract<AnthropicContentBlock, { type: 'image' }>): ContentPart {
  const source = block.source;
  const url = source.type === 'base64' ? `data:${source.media_type};base64,${source.data}` : source.url;
  return { type: 'image_url', image_url: { url } };
}

/** A user turn: its tool results become `tool` messages (first, as OpenAI wants them right after the calls). */
function userMessages(content: string | readonly AnthropicContentBlock[]): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const messages: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const block of content) {
    if (block.type === 'tool_result') {
      const result = block as Extract<AnthropicContentBlock, { type: 'tool_result' }>;
      const text = textOfBlocks(result.content as string | { type: string; text?: unknown }[] | undefined);
      messages.push({
        role: 'tool',
        tool_call_id: result.tool_use_id,
        content: result.is_error ? `Error: ${text}` : text,
      });
    } else if (block.type === 'text') {
      parts.push({ type: 'text', text: (block as { text: string }).text });
    } else if (block.type === 'image') {
      parts.push(imagePart(block as Extract<AnthropicContentBlock, { type: 'image' }>));
    }
  }
  if (parts.length > 0) {
    const textOnly = parts.every((part) => part.type === 'text');
    messages.push({
      role: 'user',
      content: textOnly ? parts.map((part) => (part as { text: string }).text).join('\n') : parts,
    });
  }
  return messages;
}

function assistantMessage(content: string | readonly AnthropicContentBlock[]): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const text: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of content) {
    if (block.type === 'text') text.push((block as { text: string }).text);
    if (block.type === 'tool_use') {
      const use = block as Extract<AnthropicContentBlock, { type: 'tool_use' }>;
      toolCalls.push({
        id: use.id,
        type: 'function',
        function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) },
      });
    }
  }
  const message: ChatMessage = { role: 'assistant', content: text.length > 0 ? text.join('\n') : null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

/** The conversation, system prompt and tools of a Messages (or count_tokens) request as chat messages. */
function conversationOf(body: AnthropicCountTokensRequest): Pick<ChatRequest, 'messages' | 'tools' | 'tool_choice'> {
  const messages: ChatMessage[] = [];
  const system = textOfBlocks(body.system);
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const message of body.messages) {
    if (message.role === 'user') messages.push(...userMessages(message.content));
    else messages.push(assistantMessage(message.content));
  }
  const result: Pick<ChatRequest, 'messages' | 'tools' | 'tool_choice'> = { messages };
  if (body.tools && body.tools.length > 0 && body.tool_choice?.type !== 'none') {
    result.tools = body.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        parameters: tool.input_schema ?? { type: 'object', properties: {} },
      },
    }));
    const choice = body.tool_choice;
    if (choice?.type === 'any') result.tool_choice = 'required';
    if (choice?.type === 'tool' && choice.name)
      result.tool_choice = { type: 'function', function: { name: choice.name } };
  }
  return result;
}

export function chatRequestOfAnthropic(body: AnthropicMessagesRequest): ChatRequest {
  const request: ChatRequest = { model: body.model, ...conversationOf(body), max_tokens: body.max_tokens };
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.top_p = body.top_p;
  if (body.stop_sequences && body.stop_sequences.length > 0) request.stop = body.stop_sequences;
  if (typeof body.metadata?.user_id === 'string') request.user = body.metadata.user_id;
  if (body.tool_choice?.disable_parallel_tool_use && request.tools) request.parallel_tool_calls = false;
  return request;
}

/** A deterministic estimate (no tokenizer for every provider's models): one token per word the model reads. */
export function estimateInputTokens(body: AnthropicCountTokensRequest): number {
  const conversation = conversationOf(body);
  let words = 0;
  const count = (text: string) => {
    words += text.match(/\S+/g)?.length ?? 0;
  };
  for (const message of conversation.messages) {
    if (typeof message.content === 'string') count(message.content);
    else for (const part of message.content ?? []) if (part.type === 'text') count((part as { text: string }).text);
    for (const call of message.tool_calls ?? []) count(call.function.arguments);
  }
  if (conversation.tools) count(JSON.stringify(conversation.tools));
  return words;
}

export function stopReasonOf(finish: FinishReason): StopReason {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

function messageId(completionId: string): string {
  return `msg_${completionId.replace(/^chatcmpl-/, '')}`;
}

function parseArguments(json: string): unknown {
  try {
    const value: unknown = JSON.parse(json || '{}');
    return value !== null && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

export function anthropicMessageOf(completion: ChatCompletion, model: string): AnthropicMessagesResponse {
  const choice = completion.choices[0];
  const content: AnthropicMessagesResponse['content'] = [];
  const text = choice?.message.content;
  if (typeof text === 'string' && text !== '') content.push({ type: 'text', text });
  for (const call of choice?.message.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: parseArguments(call.function.arguments),
    });
  }
  return {
    id: messageId(completion.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReasonOf(choice?.finish_reason ?? 'stop'),
    stop_sequence: null,
    usage: {
      input_tokens: completion.usage?.prompt_tokens ?? 0,
      output_tokens: completion.usage?.completion_tokens ?? 0,
    },
  };
}

function event(type: string, payload: Record<string, unknown> = {}): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
}

/**
 * Turns OpenAI chunks into Anthropic's stream events: message_start (and a ping), one content block per
 * text run or tool call (content_block_start, text_delta / input_json_delta deltas, content_block_stop),
 * then message_delta with the stop reason and usage, and message_stop.
 */
export function createAnthropicStreamWriter(model: string) {
  let started = false;
  let blockIndex = -1;
  let open: { kind: 'text' } | { kind: 'tool'; toolIndex: number } | null = null;
  let finish: FinishReason = null;
  let usage: Usage | null = null;

  const closeBlock = () => {
    if (!open) return '';
    open = null;
    return event('content_block_stop', { index: blockIndex });
  };
  const openBlock = (block: Record<string, unknown>, state: NonNullable<typeof open>) => {
    const closing = closeBlock();
    blockIndex += 1;
    open = state;
    return `${closing}${event('content_block_start', { index: blockIndex, content_block: block })}`;
  };
  const start = (id: string) => {
    if (started) return '';
    started = true;
    const message = {
      id: messageId(id),
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The prompt's size is known when the upstream reports usage at the end: message_delta carries it.
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return event('message_start', { message }) + event('ping');
  };

  return {
    /** The events for one chunk (empty when it adds nothing a client sees). */
    frame(chunk: ChatCompletionChunk): string {
      let out = start(chunk.id);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) return out;
      const text = choice.delta.content;
      if (typeof text === 'string' && text !== '') {
        if (open?.kind !== 'text') out += openBlock({ type: 'text', text: '' }, { kind: 'text' });
        out += event('content_block_delta', { index: blockIndex, delta: { type: 'text_delta', text } });
      }
      for (const call of choice.delta.tool_calls ?? []) {
        const current = open as { kind: 'text' } | { kind: 'tool'; toolIndex: number } | null;
        if (current?.kind !== 'tool' || current.toolIndex !== call.index) {
          out += openBlock(
            { type: 'tool_use', id: call.id ?? `toolu_${call.index}`, name: call.function?.name ?? '', input: {} },
            { kind: 'tool', toolIndex: call.index },
          );
        }
        const json = call.function?.arguments;
        if (json) {
          out += event('content_block_delta', {
            index: blockIndex,
            delta: { type: 'input_json_delta', partial_json: json },
          });
        }
      }
      if (choice.finish_reason) finish = choice.finish_reason;
      return out;
    },
    /** The closing events, once the upstream stream ended. */
    end(fallbackId: string): string {
      return (
        start(fallbackId) +
        closeBlock() +
        event('message_delta', {
          delta: { stop_reason: stopReasonOf(finish ?? 'stop'), stop_sequence: null },
          usage: { input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0 },
        }) +
        event('message_stop')
      );
    },
    usage: () => usage,
  };
}

export function anthropicErrorEvent(body: unknown): string {
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}
