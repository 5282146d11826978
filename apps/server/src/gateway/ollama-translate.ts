import type { OllamaChatMessage, OllamaChatRequest, OllamaGenerateRequest } from '@switchyard/api-schemas';
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
 * Ollama's API ↔ the internal chat request (OpenAI's chat-completions shape), so Ollama clients reach any
 * provider through the same routing, cache, limits and usage as /v1/chat/completions.
 */

type OllamaOptions = NonNullable<OllamaChatRequest['options']>;

/** Ollama sends bare base64; the media type comes from the image's first bytes. */
export function imageDataUrl(base64: string): string {
  const mediaType = base64.startsWith('/9j/')
    ? 'image/jpeg'
    : base64.startsWith('R0lG')
      ? 'image/gif'
      : base64.startsWith('UklG')
        ? 'image/webp'
        : 'image/png';
  return base64.startsWith('data:') ? base64 : `data:${mediaType};base64,${base64}`;
}

function withImages(text: string, images: readonly string[] | undefined): string | ContentPart[] {
  if (!images || images.length === 0) return text;
  const parts: ContentPart[] = images.map((image) => ({ type: 'image_url', image_url: { url: imageDataUrl(image) } }));
  if (text !== '') parts.push({ type: 'text', text });
  return parts;
}

/**
 * Ollama's tool calls carry no ids and its tool results name the tool instead: ids are made up per
 * assistant turn, and each result is paired with that turn's call of the same name (else the next unanswered).
 */
function chatMessagesOf(messages: readonly OllamaChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let pending: Array<{ id: string; name: string }> = [];
  messages.forEach((message, turn) => {
    const content = message.content ?? '';
    if (message.role === 'assistant') {
      const calls: ToolCall[] = (message.tool_calls ?? []).map((call, index) => ({
        id: `call_${turn}_${index}`,
        type: 'function',
        function: {
          name: call.function.name,
          arguments:
            typeof call.function.arguments === 'string'
              ? call.function.arguments
              : JSON.stringify(call.function.arguments ?? {}),
        },
      }));
      pending = calls.map((call) => ({ id: call.id, name: call.function.name }));
      const assistant: ChatMessage = {
        role: 'assistant',
        content: content === '' && calls.length > 0 ? null : content,
      };
      if (calls.length > 0) assistant.tool_calls = calls;
      out.push(assistant);
      return;
    }
    if (message.role === 'tool') {
      const match = pending.findIndex((call) => call.name === message.tool_name);
      const [call] = pending.splice(match >= 0 ? match : 0, 1);
      out.push(call ? { role: 'tool', tool_call_id: call.id, content } : { role: 'user', content });
      return;
    }
    out.push({ role: message.role, content: message.role === 'user' ? withImages(content, message.images) : content });
  });
  return out;
}

function applyOptions(request: ChatRequest, options: OllamaOptions | undefined, format: unknown): void {
  if (options?.temperature !== undefined) request.temperature = options.temperature;
  if (options?.top_p !== undefined) request.top_p = options.top_p;
  if (options?.num_predict !== undefined && options.num_predict > 0) request.max_tokens = options.num_predict;
  if (options?.stop && options.stop.length > 0) request.stop = options.stop;
  if (options?.seed !== undefined) request.seed = options.seed;
  if (options?.presence_penalty !== undefined) request.presence_penalty = options.presence_penalty;
  if (options?.frequency_penalty !== undefined) request.frequency_penalty = options.frequency_penalty;
  if (format === 'json') request.response_format = { type: 'json_object' };
  else if (format !== null && typeof format === 'object') {
    request.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: format, strict: true } };
  }
}

export function chatRequestOfOllamaChat(body: OllamaChatRequest): ChatRequest {
  const request: ChatRequest = { model: body.model, messages: chatMessagesOf(body.messages) };
  if (body.tools && body.tools.length > 0) request.tools = body.tools;
  applyOptions(request, body.options, body.format);
  return request;
}

export function chatRequestOfOllamaGenerate(body: OllamaGenerateRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  if (body.system) messages.push({ role: 'system', content: body.system });
  messages.push({ role: 'user', content: withImages(body.prompt ?? '', body.images) });
  const request: ChatRequest = { model: body.model, messages };
  applyOptions(request, body.options, body.format);
  return request;
}

export function doneReasonOf(finish: FinishReason): string {
  return finish === 'length' ? 'length' : 'stop';
}

/** Ollama's counters; durations in nanoseconds (only the total is measured here). */
export function ollamaTimings(usage: Usage | null | undefined, startedAt: number) {
  return {
    total_duration: Math.round((performance.now() - startedAt) * 1e6),
    load_duration: 0,
    prompt_eval_count: usage?.prompt_tokens ?? 0,
    prompt_eval_duration: 0,
    eval_count: usage?.completion_tokens ?? 0,
    eval_duration: 0,
  };
}

function parseArguments(json: string): unknown {
  try {
    const value: unknown = JSON.parse(json || '{}');
    return value !== null && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

export function ollamaToolCalls(calls: readonly ToolCall[] | undefined) {
  if (!calls || calls.length === 0) return undefined;
  return calls.map((call) => ({
    function: { name: call.function.name, arguments: parseArguments(call.function.arguments) },
  }));
}

export function ollamaChatMessageOf(completion: ChatCompletion) {
  const choice = completion.choices[0];
  const toolCalls = ollamaToolCalls(choice?.message.tool_calls);
  return {
    role: 'assistant' as const,
    content: typeof choice?.message.content === 'string' ? choice.message.content : '',
    ...(toolCalls ? { tool_calls: toolCalls } : {}),
  };
}

/**
 * Folds OpenAI chunks into Ollama's stream: text as it comes, tool calls whole (Ollama sends each call
 * complete, never in pieces) once the upstream finished them, and the finish reason and usage for the
 * final `done: true` line.
 */
export function createOllamaChunkReader() {
  const calls = new Map<number, ToolCall>();
  let finish: FinishReason = null;
  let usage: Usage | null = null;
  return {
    /** The text this chunk adds (may be empty). */
    read(chunk: ChatCompletionChunk): string {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) return '';
      for (const delta of choice.delta.tool_calls ?? []) {
        const call = calls.get(delta.index) ?? {
          id: delta.id ?? '',
          type: 'function' as const,
          function: { name: '', arguments: '' },
        };
        if (delta.function?.name) call.function.name += delta.function.name;
        if (delta.function?.arguments) call.function.arguments += delta.function.arguments;
        calls.set(delta.index, call);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
      return choice.delta.content ?? '';
    },
    /** The tool calls gathered so far, once (then forgotten). */
    takeToolCalls() {
      const taken = ollamaToolCalls([...calls.values()]);
      calls.clear();
      return taken;
    },
    finish: () => finish,
    usage: () => usage,
  };
}
