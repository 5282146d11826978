import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  countWords,
  type FakeExchange,
  type FakeServerOptions,
  type FakeUpstreamServer,
  lastUserMessageText,
  limitAnswer,
  messageText,
  promptWordCount,
  splitAnswer,
  startFakeHttpServer,
  writeFrame,
} from './fake-http-server';

export interface FakeAnthropicOptions extends FakeServerOptions {
  /** When set, requests must carry `x-api-key: <apiKey>` or get Anthropic's 401. */
  apiKey?: string;
}

export type FakeAnthropicServer = FakeUpstreamServer;

interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

function requestId(): string {
  return `req_${randomBytes(12).toString('base64url')}`;
}

function anthropicError(type: string, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message }, request_id: requestId() };
}

/** The bodies Anthropic really sends for common failures, so error mapping is tested against realistic input. */
function defaultErrorBody(status: number): AnthropicErrorBody {
  switch (status) {
    case 400:
      return anthropicError('invalid_request_error', 'messages: text content blocks must be non-empty');
    case 401:
      return anthropicError('authentication_error', 'invalid x-api-key');
    case 403:
      return anthropicError('permission_error', 'Your API key does not have permission to use the specified resource.');
    case 404:
      return anthropicError('not_found_error', 'model: claude-missing');
    case 413:
      return anthropicError('request_too_large', 'Request exceeds the maximum allowed number of bytes.');
    case 429:
      return anthropicError(
        'rate_limit_error',
        'This request would exceed the rate limit for your organization (org-fake) of 50 requests per minute.',
      );
    case 529:
      return anthropicError('overloaded_error', 'Overloaded');
    default:
      return anthropicError('api_error', 'Internal server error');
  }
}

function sendJson(exchange: FakeExchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  exchange.response.writeHead(status, {
    'content-type': 'application/json',
    'request-id': requestId(),
    ...headers,
  });
  exchange.response.end(JSON.stringify(body));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function systemText(system: unknown): string {
  return typeof system === 'string' ? system : messageText(system);
}

/** The text of the tool results in the last user turn, when that turn answers tool calls. */
function toolResultText(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const last: unknown = messages.at(-1);
  if (!isRecord(last) || last.role !== 'user' || !Array.isArray(last.content)) return undefined;
  const results = last.content.filter((block: unknown) => isRecord(block) && block.type === 'tool_result');
  if (results.length === 0) return undefined;
  return results.map((block: Record<string, unknown>) => systemText(block.content)).join('\n');
}

function firstToolName(tools: unknown): string | undefined {
  if (!Array.isArray(tools)) return undefined;
  const first: unknown = tools[0];
  return isRecord(first) && typeof first.name === 'string' ? first.name : undefined;
}

function sse(type: string, payload: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
}

/**
 * A fake of Anthropic's Messages API: `POST /v1/messages` (JSON and SSE) and
 * `GET /v1/models`. When a request has tools and the last user text says
 * "call tool", it answers with a `tool_use` of the first tool with `{query}`.
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropicServer> {
  const models = options.models ?? ['claude-sonnet-4-5', 'claude-haiku-4-5'];

  async function handle(exchange: FakeExchange): Promise<void> {
    const { record } = exchange;
    const path = record.path.split('?')[0] ?? '';
    if (options.apiKey !== undefined && record.headers['x-api-key'] !== options.apiKey) {
      sendJson(exchange, 401, defaultErrorBody(401));
      return;
    }
    if (record.headers['anthropic-version'] === undefined) {
      sendJson(exchange, 400, anthropicError('invalid_request_error', 'anthropic-version: header is required'));
      return;
    }
    if (record.method === 'GET' && path === '/v1/models') {
      sendJson(exchange, 200, {
        data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' })),
        has_more: false,
        first_id: models[0] ?? null,
        last_id: models.at(-1) ?? null,
      });
      return;
    }
    if (record.method === 'POST' && path === '/v1/messages') {
      await messages(exchange);
      return;
    }
    sendJson(exchange, 404, anthropicError('not_found_error', 'Not Found'));
  }

  async function messages(exchange: FakeExchange): Promise<void> {
    const request = exchange.record.body;
    if (!isRecord(request)) {
      sendJson(exchange, 400, anthropicError('invalid_request_error', 'There was an issue with your request body.'));
      return;
    }
    if (typeof request.max_tokens !== 'number') {
      sendJson(exchange, 400, anthropicError('invalid_request_error', 'max_tokens: Field required'));
      return;
    }
    if (typeof request.model !== 'string' || !models.includes(request.model)) {
      sendJson(exchange, 404, anthropicError('not_found_error', `model: ${String(request.model)}`));
      return;
    }
    if (!Array.isArray(request.messages) || request.messages.length === 0) {
      sendJson(exchange, 400, anthropicError('invalid_request_error', 'messages: at least one message is required'));
      return;
    }
    const model = request.model;
    const userText = lastUserMessageText(request.messages);
    const toolName = firstToolName(request.tools);
    const toolResult = toolResultText(request.messages);
    const callsTool = toolName !== undefined && toolResult === undefined && /call tool/i.test(userText);
    const fullAnswer =
      options.reply?.(request) ?? (toolResult === undefined ? `fake: ${userText}` : `fake: tool said ${toolResult}`);
    const limited = limitAnswer(fullAnswer, request.max_tokens);
    const toolInput = { query: userText };
    const toolUse = {
      type: 'tool_use',
      id: `toolu_${randomBytes(12).toString('hex')}`,
      name: toolName,
      input: toolInput,
    };
    const stopReason = callsTool ? 'tool_use' : limited.truncated ? 'max_tokens' : 'end_turn';
    const inputTokens = promptWordCount(request.messages) + countWords(systemText(request.system));
    const outputTokens = callsTool ? countWords(JSON.stringify(toolInput)) : countWords(limited.text);
    const id = `msg_${randomBytes(12).toString('hex')}`;

    if (request.stream !== true) {
      if (exchange.behaviour.kind === 'cut-stream') {
        exchange.cut();
        return;
      }
      sendJson(exchange, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: callsTool ? [toolUse] : [{ type: 'text', text: limited.text }],
        stop_reason: stopReason,
        stop_sequence: null,
        usage: {
          input_tokens: inputTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: outputTokens,
        },
      });
      return;
    }

    const frames: Array<{ frame: string; delayed: boolean }> = [
      {
        frame: sse('message_start', {
          message: {
            id,
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: {
              input_tokens: inputTokens,
              cache_creation_input_tokens: 0,
              cache_read_input_tokens: 0,
              output_tokens: 1,
            },
          },
        }),
        delayed: false,
      },
    ];
    if (callsTool) {
      const json = JSON.stringify(toolInput);
      const middle = Math.floor(json.length / 2);
      frames.push(
        { frame: sse('content_block_start', { index: 0, content_block: { ...toolUse, input: {} } }), delayed: false },
        ...['', json.slice(0, middle), json.slice(middle)].map((piece) => ({
          frame: sse('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: piece } }),
          delayed: true,
        })),
      );
    } else {
      frames.push(
        { frame: sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }), delayed: false },
        { frame: sse('ping', {}), delayed: false },
        ...splitAnswer(limited.text, options.streamChunks).map((piece) => ({
          frame: sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }),
          delayed: true,
        })),
      );
    }
    frames.push(
      { frame: sse('content_block_stop', { index: 0 }), delayed: false },
      {
        frame: sse('message_delta', {
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: outputTokens },
        }),
        delayed: false,
      },
      { frame: sse('message_stop', {}), delayed: false },
    );

    exchange.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': requestId(),
    });
    exchange.response.flushHeaders();
    const behaviour = exchange.behaviour;
    let sent = 0;
    for (const { frame, delayed } of frames) {
      if (behaviour.kind === 'cut-stream' && sent >= behaviour.afterChunks) {
        exchange.cut();
        return;
      }
      if (behaviour.kind === 'stream-error' && sent >= behaviour.afterChunks) {
        const error = anthropicError('overloaded_error', behaviour.message ?? 'Overloaded');
        await writeFrame(exchange, `event: error\ndata: ${JSON.stringify(error)}\n\n`, options);
        exchange.response.end();
        return;
      }
      if (delayed && options.chunkDelayMs !== undefined) await sleep(options.chunkDelayMs);
      if (exchange.closed()) return;
      await writeFrame(exchange, frame, options);
      sent += 1;
    }
    exchange.response.end();
  }

  return startFakeHttpServer(handle, (exchange, behaviour) => {
    sendJson(exchange, behaviour.status, behaviour.body ?? defaultErrorBody(behaviour.status), behaviour.headers);
  });
}
