import { randomBytes } from 'node:crypto';
import type { ResponsesInputItem, ResponsesRequest } from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
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
 * OpenAI's Responses API ↔ the internal chat request (chat-completions shape), so `responses.create`
 * reaches any provider through the same routing, cache, limits and usage as /v1/chat/completions.
 */

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    return value
      .map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : ''))
      .filter((text) => text !== '')
      .join('\n');
  }
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

function contentOf(content: ResponsesInputItem['content']): string | ContentPart[] {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  const parts: ContentPart[] = [];
  for (const part of content) {
    const record = part as Record<string, unknown>;
    if (
      (part.type === 'input_text' || part.type === 'output_text' || part.type === 'text') &&
      typeof record.text === 'string'
    ) {
      parts.push({ type: 'text', text: record.text });
    } else if (part.type === 'input_image' && typeof record.image_url === 'string') {
      const detail = record.detail === 'low' || record.detail === 'high' ? record.detail : undefined;
      parts.push({ type: 'image_url', image_url: { url: record.image_url, ...(detail ? { detail } : {}) } });
    } else {
      throw new SwitchyardError('SY_ERR_VALIDATION', `Input content of type '${part.type}' is not supported here`, {
        details: { param: 'input' },
      });
    }
  }
  return parts.every((part) => part.type === 'text')
    ? parts.map((part) => (part as { text: string }).text).join('\n')
    : parts;
}

/** The input items as chat messages: function calls join the assistant turn before them, outputs become tool messages. */
export function messagesOfInput(input: ResponsesRequest['input']): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const messages: ChatMessage[] = [];
  for (const item of input) {
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role === 'assistant' ? 'assistant' : item.role === 'user' ? 'user' : 'system';
      const content = contentOf(item.content);
      messages.push(role === 'assistant' ? { role, content: textOf(content) } : { role, content });
    } else if (type === 'function_call') {
      const call: ToolCall = {
        id: item.call_id ?? newId('call'),
        type: 'function',
        function: { name: item.name ?? '', arguments: item.arguments ?? '{}' },
      };
      const last = messages.at(-1);
      if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      messages.push({ role: 'tool', tool_call_id: item.call_id ?? '', content: textOf(item.output) });
    } else if (type === 'reasoning') {
      // Reasoning items of an earlier answer: models of other providers cannot read them.
    } else {
      throw new SwitchyardError('SY_ERR_VALIDATION', `Input items of type '${type}' are not supported here`, {
        details: { param: 'input' },
      });
    }
  }
  return messages;
}

function toolsOf(tools: ResponsesRequest['tools']): unknown[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return tools.map((tool) => {
    const record = tool as Record<string, unknown>;
    if (tool.type !== 'function' || typeof record.name !== 'string') {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `Tools of type '${tool.type}' are not supported: Switchyard translates function tools only`,
        { details: { param: 'tools' } },
      );
    }
    return {
      type: 'function',
      function: {
        name: record.name,
        ...(typeof record.description === 'string' ? { description: record.description } : {}),
        parameters: record.parameters ?? { type: 'object', properties: {} },
        ...(typeof record.strict === 'boolean' ? { strict: record.strict } : {}),
      },
    };
  });
}

function toolChoiceOf(choice: unknown): ChatRequest['tool_choice'] {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  const record = choice as { type?: unknown; name?: unknown } | null | undefined;
  if (record?.type === 'function' && typeof record.name === 'string') {
    return { type: 'function', function: { name: record.name } };
  }
  return undefined;
}

/** The chat request for a Responses request, after the stored conversation of `previous_response_id`. */
export function chatRequestOfResponses(body: ResponsesRequest, history: readonly ChatMessage[]): ChatRequest {
  const messages: ChatMessage[] = [];
  if (body.instructions) messages.push({ role: 'system', content: body.instructions });
  messages.push(...history, ...messagesOfInput(body.input));
  const request: ChatRequest = { model: body.model, messages };
  const tools = toolsOf(body.tools ?? undefined);
  if (tools) request.tools = tools;
  const choice = toolChoiceOf(body.tool_choice);
  if (tools && choice !== undefined) request.tool_choice = choice;
  if (tools && body.parallel_tool_calls === false) request.parallel_tool_calls = false;
  if (typeof body.temperature === 'number') request.temperature = body.temperature;
  if (typeof body.top_p === 'number') request.top_p = body.top_p;
  if (typeof body.max_output_tokens === 'number') request.max_tokens = body.max_output_tokens;
  if (body.user) request.user = body.user;
  const format = (
    body.text as { format?: { type?: string; name?: string; schema?: unknown; strict?: boolean } } | undefined
  )?.format;
  if (format?.type === 'json_object') request.response_format = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    request.response_format = {
      type: 'json_schema',
      json_schema: { name: format.name ?? 'response', schema: format.schema, strict: format.strict ?? false },
    };
  }
  return request;
}

/** What one answer produced, however it arrived (whole or streamed). */
export interface ResponseOutcome {
  text: string;
  toolCalls: ToolCall[];
  finish: FinishReason;
  usage: Usage | null;
}

export function outcomeOfCompletion(completion: ChatCompletion): ResponseOutcome {
  const choice = completion.choices[0];
  return {
    text: typeof choice?.message.content === 'string' ? choice.message.content : '',
    toolCalls: choice?.message.tool_calls ?? [],
    finish: choice?.finish_reason ?? 'stop',
    usage: completion.usage ?? null,
  };
}

/** The assistant turn the conversation continues from. */
export function assistantMessageOf(outcome: ResponseOutcome): ChatMessage {
  const message: ChatMessage = {
    role: 'assistant',
    content: outcome.text === '' && outcome.toolCalls.length > 0 ? null : outcome.text,
  };
  if (outcome.toolCalls.length > 0) message.tool_calls = outcome.toolCalls;
  return message;
}

export interface ResponseIds {
  id: string;
  messageId: string;
  createdAt: number;
}

export function messageItem(ids: ResponseIds, text: string, status: 'in_progress' | 'completed') {
  return {
    type: 'message',
    id: ids.messageId,
    status,
    role: 'assistant',
    content: status === 'completed' ? [{ type: 'output_text', text, annotations: [], logprobs: [] }] : [],
  };
}

export function functionCallItem(call: ToolCall, status: 'in_progress' | 'completed') {
  return {
    type: 'function_call',
    id: `fc_${call.id.replace(/^call_/, '')}`,
    call_id: call.id,
    name: call.function.name,
    arguments: status === 'completed' ? call.function.arguments : '',
    status,
  };
}

/** The response object, in progress (no outcome yet) or finished. */
export function responseObject(body: ResponsesRequest, ids: ResponseIds, outcome: ResponseOutcome | null) {
  const output: unknown[] = [];
  if (outcome) {
    if (outcome.text !== '' || outcome.toolCalls.length === 0) output.push(messageItem(ids, outcome.text, 'completed'));
    for (const call of outcome.toolCalls) output.push(functionCallItem(call, 'completed'));
  }
  const incomplete = outcome?.finish === 'length';
  return {
    id: ids.id,
    object: 'response' as const,
    created_at: ids.createdAt,
    status: outcome ? (incomplete ? 'incomplete' : 'completed') : 'in_progress',
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output,
    ...(outcome ? { output_text: outcome.text } : {}),
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store !== false,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: outcome
      ? {
          input_tokens: outcome.usage?.prompt_tokens ?? 0,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outcome.usage?.completion_tokens ?? 0,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: outcome.usage?.total_tokens ?? 0,
        }
      : null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}

/**
 * Turns OpenAI chunks into the Responses API's semantic events: the message item and its output_text
 * part as text arrives (response.output_text.delta), a function_call item per tool call
 * (response.function_call_arguments.delta), each closed with its done events once the upstream finished.
 */
export function createResponsesStreamWriter(body: ResponsesRequest, ids: ResponseIds) {
  let sequence = 0;
  let text = '';
  let textOpen = false;
  let textOutputIndex = -1;
  let nextOutputIndex = 0;
  const calls = new Map<number, { call: ToolCall; outputIndex: number; itemId: string }>();
  let finish: FinishReason = null;
  let usage: Usage | null = null;

  const event = (type: string, payload: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...payload })}\n\n`;

  const closeText = () => {
    if (!textOpen) return '';
    textOpen = false;
    const part = { type: 'output_text', text, annotations: [], logprobs: [] };
    const where = { item_id: ids.messageId, output_index: textOutputIndex, content_index: 0 };
    return (
      event('response.output_text.done', { ...where, text, logprobs: [] }) +
      event('response.content_part.done', { ...where, part }) +
      event('response.output_item.done', { output_index: textOutputIndex, item: messageItem(ids, text, 'completed') })
    );
  };

  return {
    start(): string {
      const response = responseObject(body, ids, null);
      return event('response.created', { response }) + event('response.in_progress', { response });
    },
    frame(chunk: ChatCompletionChunk): string {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) return '';
      let out = '';
      const delta = choice.delta.content;
      if (typeof delta === 'string' && delta !== '') {
        if (!textOpen && textOutputIndex === -1) {
          textOpen = true;
          textOutputIndex = nextOutputIndex++;
          out += event('response.output_item.added', {
            output_index: textOutputIndex,
            item: messageItem(ids, '', 'in_progress'),
          });
          out += event('response.content_part.added', {
            item_id: ids.messageId,
            output_index: textOutputIndex,
            content_index: 0,
            part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
          });
        }
        text += delta;
        out += event('response.output_text.delta', {
          item_id: ids.messageId,
          output_index: textOutputIndex,
          content_index: 0,
          delta,
          logprobs: [],
        });
      }
      for (const piece of choice.delta.tool_calls ?? []) {
        let entry = calls.get(piece.index);
        if (!entry) {
          const call: ToolCall = {
            id: piece.id ?? newId('call'),
            type: 'function',
            function: { name: piece.function?.name ?? '', arguments: '' },
          };
          entry = { call, outputIndex: nextOutputIndex++, itemId: functionCallItem(call, 'in_progress').id };
          calls.set(piece.index, entry);
          out += event('response.output_item.added', {
            output_index: entry.outputIndex,
            item: functionCallItem(call, 'in_progress'),
          });
        }
        const json = piece.function?.arguments;
        if (json) {
          entry.call.function.arguments += json;
          out += event('response.function_call_arguments.delta', {
            item_id: entry.itemId,
            output_index: entry.outputIndex,
            delta: json,
          });
        }
      }
      if (choice.finish_reason) finish = choice.finish_reason;
      return out;
    },
    /** What the answer produced, once the upstream stream ended. */
    outcome(): ResponseOutcome {
      return { text, toolCalls: [...calls.values()].map((entry) => entry.call), finish: finish ?? 'stop', usage };
    },
    end(): string {
      let out = closeText();
      for (const entry of calls.values()) {
        out += event('response.function_call_arguments.done', {
          item_id: entry.itemId,
          output_index: entry.outputIndex,
          arguments: entry.call.function.arguments,
        });
        out += event('response.output_item.done', {
          output_index: entry.outputIndex,
          item: functionCallItem(entry.call, 'completed'),
        });
      }
      const outcome = this.outcome();
      const response = responseObject(body, ids, outcome);
      return out + event(outcome.finish === 'length' ? 'response.incomplete' : 'response.completed', { response });
    },
    error(body: { error: { message: string; code: string | null } }): string {
      return event('error', { code: body.error.code, message: body.error.message, param: null });
    },
  };
}
