import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fakeImageColor, solidColorPng } from './comfyui-server';
import {
  countWords,
  type FakeBehaviour,
  type FakeExchange,
  type FakeServerOptions,
  type FakeUpstreamServer,
  lastUserMessageText,
  limitAnswer,
  promptWordCount,
  splitAnswer,
  startFakeHttpServer,
  writeFrame,
} from './fake-http-server';

export interface FakeOpenAIOptions extends FakeServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get OpenAI's 401. */
  apiKey?: string;
  /**
   * Origin of the image URLs `/v1/images/generations` hands out for `response_format: 'url'`;
   * default the fake's own (which serves them). Another origin mimics OpenAI's CDN links.
   */
  imageUrlOrigin?: string;
  /** Answer images in this format whatever the request asks, as some OpenAI-compatible servers do. */
  imageResponseFormat?: 'url' | 'b64_json';
  /**
   * A model that uses tools: called with each chat request; the calls it returns are answered as
   * `tool_calls` (finish_reason `tool_calls`), in OpenAI's wire format, JSON or streamed. Return
   * `undefined` or `[]` to answer with text as usual.
   */
  toolCalls?: (request: Record<string, unknown>) => Array<{ name: string; arguments: unknown }> | undefined;
}

export type FakeOpenAIServer = FakeUpstreamServer;

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function openAIError(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** The bodies OpenAI really sends for common failures, so error mapping is tested against realistic input. */
function defaultErrorBody(status: number): OpenAIErrorBody {
  switch (status) {
    case 400:
      return openAIError(
        "Invalid value for 'temperature': expected a number.",
        'invalid_request_error',
        null,
        'temperature',
      );
    case 401:
      return openAIError(
        'Incorrect API key provided: sk-proj-****************************abcd. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    case 404:
      return openAIError(
        'The model `missing-model` does not exist or you do not have access to it.',
        'invalid_request_error',
        'model_not_found',
      );
    case 429:
      return openAIError(
        'Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1.',
        'requests',
        'rate_limit_exceeded',
      );
    default:
      return openAIError('The server had an error while processing your request. Sorry about that!', 'server_error');
  }
}

function sendJson(exchange: FakeExchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  exchange.response.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'x-request-id': `req_${randomBytes(16).toString('hex')}`,
    ...headers,
  });
  exchange.response.end(text);
}

/**
 * A small deterministic vector derived from the text, so tests can compare
 * embeddings across calls without a model. Values lie in [-1, 1].
 */
export function fakeEmbedding(text: string, dimensions = 8): number[] {
  const values: number[] = [];
  let block = createHash('sha256').update(text).digest();
  while (values.length < dimensions) {
    for (const byte of block) {
      if (values.length === dimensions) break;
      values.push(Math.round((byte / 127.5 - 1) * 10_000) / 10_000);
    }
    block = createHash('sha256').update(block).digest();
  }
  return values;
}

interface FakeToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Tool-call mode: the request offers tools and the last message is a user asking to "call tool". */
function fakeToolCall(tools: unknown, messages: unknown): FakeToolCall | undefined {
  const name = (Array.isArray(tools) ? (tools[0] as { function?: { name?: unknown } } | undefined) : undefined)
    ?.function?.name;
  const last = Array.isArray(messages) ? (messages.at(-1) as { role?: unknown } | undefined) : undefined;
  if (typeof name !== 'string' || last?.role !== 'user') return undefined;
  const text = lastUserMessageText(messages);
  if (!/call tool/i.test(text)) return undefined;
  return {
    id: `call_${randomBytes(12).toString('hex')}`,
    type: 'function',
    function: { name, arguments: JSON.stringify({ query: text }) },
  };
}

/** Streams tool calls as OpenAI does: for each, id and name first, then the arguments in pieces. */
function toolCallFrames(calls: readonly FakeToolCall[]): unknown[] {
  return calls.flatMap((call, index) => {
    const { name, arguments: json } = call.function;
    const middle = Math.floor(json.length / 2);
    return [
      { tool_calls: [{ index, id: call.id, type: 'function', function: { name, arguments: '' } }] },
      { tool_calls: [{ index, function: { arguments: json.slice(0, middle) } }] },
      { tool_calls: [{ index, function: { arguments: json.slice(middle) } }] },
    ];
  });
}

function completionId(): string {
  return `chatcmpl-${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;
}

/** A fake of OpenAI's `/v1` API: chat completions (JSON and SSE) and the model list. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
  const models = options.models ?? ['gpt-4o-mini'];
  const created = 1_715_367_049;
  const imageFiles = new Map<string, Buffer>();

  async function handle(exchange: FakeExchange): Promise<void> {
    const { record } = exchange;
    const path = record.path.split('?')[0] ?? '';
    if (options.apiKey !== undefined && record.headers.authorization !== `Bearer ${options.apiKey}`) {
      sendJson(exchange, 401, defaultErrorBody(401));
      return;
    }
    if (record.method === 'GET' && path === '/v1/models') {
      sendJson(exchange, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created, owned_by: 'system' })),
      });
      return;
    }
    const modelMatch = /^\/v1\/models\/(.+)$/.exec(path);
    if (record.method === 'GET' && modelMatch !== null) {
      const id = decodeURIComponent(modelMatch[1] ?? '');
      if (models.includes(id)) sendJson(exchange, 200, { id, object: 'model', created, owned_by: 'system' });
      else sendJson(exchange, 404, defaultErrorBody(404));
      return;
    }
    if (record.method === 'POST' && path === '/v1/chat/completions') {
      await chatCompletions(exchange);
      return;
    }
    if (record.method === 'POST' && path === '/v1/completions') {
      await textCompletions(exchange);
      return;
    }
    if (record.method === 'POST' && path === '/v1/moderations') {
      moderations(exchange);
      return;
    }
    if (record.method === 'POST' && path === '/v1/embeddings') {
      embeddings(exchange);
      return;
    }
    if (record.method === 'POST' && path === '/v1/images/generations') {
      imageGenerations(exchange);
      return;
    }
    const fileMatch = /^\/v1\/images\/files\/([\w-]+)\.png$/.exec(path);
    if (record.method === 'GET' && fileMatch !== null) {
      const png = imageFiles.get(fileMatch[1] ?? '');
      if (png === undefined) {
        sendJson(exchange, 404, openAIError('File not found', 'invalid_request_error'));
        return;
      }
      exchange.response.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
      exchange.response.end(png);
      return;
    }
    sendJson(exchange, 404, openAIError(`Invalid URL (${record.method} ${path})`, 'invalid_request_error'));
  }

  /**
   * Images API: a solid-colour PNG per image whose colour depends on the prompt.
   * Like OpenAI, dall-e models answer with URLs unless asked for base64, and
   * gpt-image models always answer in base64.
   */
  function imageGenerations(exchange: FakeExchange): void {
    const request = (exchange.record.body ?? {}) as Record<string, unknown>;
    if (typeof request.prompt !== 'string' || request.prompt === '') {
      sendJson(
        exchange,
        400,
        openAIError(
          "Missing required parameter: 'prompt'.",
          'invalid_request_error',
          'missing_required_parameter',
          'prompt',
        ),
      );
      return;
    }
    const model = typeof request.model === 'string' ? request.model : 'dall-e-2';
    const size = typeof request.size === 'string' ? request.size : '1024x1024';
    if (!/^[1-9]\d{0,4}x[1-9]\d{0,4}$/.test(size)) {
      sendJson(
        exchange,
        400,
        openAIError(`Invalid value for 'size': '${size}'.`, 'invalid_request_error', 'invalid_value', 'size'),
      );
      return;
    }
    const count = typeof request.n === 'number' ? Math.max(1, Math.min(10, Math.trunc(request.n))) : 1;
    const format =
      options.imageResponseFormat ?? (model.startsWith('gpt-image') ? 'b64_json' : (request.response_format ?? 'url'));
    const seed = createHash('sha256').update(request.prompt).digest().readUInt32BE(0);
    const origin = options.imageUrlOrigin ?? new URL(server.url).origin;
    const data = Array.from({ length: count }, (_, index) => {
      const png = solidColorPng(fakeImageColor(seed + index));
      const revised = model === 'dall-e-3' ? { revised_prompt: `A detailed rendering of ${request.prompt}` } : {};
      if (format === 'b64_json') return { b64_json: png.toString('base64'), ...revised };
      const id = randomBytes(12).toString('hex');
      imageFiles.set(id, png);
      return { url: `${origin}/v1/images/files/${id}.png`, ...revised };
    });
    sendJson(exchange, 200, { created: Math.floor(Date.now() / 1000), data });
  }

  function embeddings(exchange: FakeExchange): void {
    const request = (exchange.record.body ?? {}) as Record<string, unknown>;
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    if (typeof request.model !== 'string' || !Array.isArray(inputs) || inputs.length === 0) {
      sendJson(exchange, 400, openAIError("'input' : input cannot be an empty string", 'invalid_request_error'));
      return;
    }
    const dimensions = typeof request.dimensions === 'number' ? request.dimensions : undefined;
    const promptTokens = inputs.reduce((sum: number, input: unknown) => sum + countWords(String(input)), 0);
    sendJson(exchange, 200, {
      object: 'list',
      data: inputs.map((input: unknown, index) => {
        const vector = fakeEmbedding(String(input), dimensions);
        // The official SDK asks for base64 unless told otherwise: little-endian float32s.
        const embedding =
          request.encoding_format === 'base64'
            ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
            : vector;
        return { object: 'embedding', index, embedding };
      }),
      model: request.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  }

  /**
   * Legacy completions: each prompt is continued with ` fake: <prompt>` (suffix appended when given,
   * the prompt first with `echo`); `n` choices per prompt at index prompt * n + choice, as OpenAI numbers them.
   */
  async function textCompletions(exchange: FakeExchange): Promise<void> {
    const request = (exchange.record.body ?? {}) as Record<string, unknown>;
    if (typeof request.model !== 'string' || !models.includes(request.model)) {
      sendJson(
        exchange,
        404,
        openAIError(
          `The model \`${String(request.model)}\` does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
        ),
      );
      return;
    }
    const prompts = typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
    if (!Array.isArray(prompts) || prompts.some((prompt) => typeof prompt !== 'string')) {
      sendJson(exchange, 400, openAIError("Invalid 'prompt'.", 'invalid_request_error', null, 'prompt'));
      return;
    }
    const perPrompt = typeof request.n === 'number' && request.n > 1 ? request.n : 1;
    const choices = (prompts as string[]).flatMap((prompt, promptIndex) =>
      Array.from({ length: perPrompt }, (_, choice) => {
        const limited = limitAnswer(
          ` fake: ${prompt}${choice > 0 ? ` (choice ${choice + 1})` : ''}`,
          request.max_tokens,
        );
        const text = `${request.echo === true ? prompt : ''}${limited.text}${
          typeof request.suffix === 'string' ? request.suffix : ''
        }`;
        return { index: promptIndex * perPrompt + choice, text, finish: limited.truncated ? 'length' : 'stop' };
      }),
    );
    const promptTokens = (prompts as string[]).reduce((sum, prompt) => sum + countWords(prompt), 0);
    const completionTokens = choices.reduce((sum, choice) => sum + countWords(choice.text), 0);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    const id = `cmpl-${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;
    const now = Math.floor(Date.now() / 1000);
    if (request.stream !== true) {
      sendJson(exchange, 200, {
        id,
        object: 'text_completion',
        created: now,
        model: request.model,
        choices: choices.map((choice) => ({
          text: choice.text,
          index: choice.index,
          logprobs: null,
          finish_reason: choice.finish,
        })),
        usage,
      });
      return;
    }
    const includeUsage = (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const chunk = (payload: Record<string, unknown>) => ({
      id,
      object: 'text_completion',
      created: now,
      model: request.model,
      ...payload,
      ...(includeUsage && payload.usage === undefined ? { usage: null } : {}),
    });
    exchange.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    exchange.response.flushHeaders();
    for (const choice of choices) {
      for (const piece of splitAnswer(choice.text, options.streamChunks)) {
        if (exchange.closed()) return;
        await writeFrame(
          exchange,
          `data: ${JSON.stringify(chunk({ choices: [{ text: piece, index: choice.index, logprobs: null, finish_reason: null }] }))}\n\n`,
          options,
        );
      }
      await writeFrame(
        exchange,
        `data: ${JSON.stringify(chunk({ choices: [{ text: '', index: choice.index, logprobs: null, finish_reason: choice.finish }] }))}\n\n`,
        options,
      );
    }
    if (includeUsage) await writeFrame(exchange, `data: ${JSON.stringify(chunk({ choices: [], usage }))}\n\n`, options);
    await writeFrame(exchange, 'data: [DONE]\n\n', options);
    exchange.response.end();
  }

  /** Moderations: an input is flagged (category `harassment`) when it contains the word "hate". */
  function moderations(exchange: FakeExchange): void {
    const request = (exchange.record.body ?? {}) as Record<string, unknown>;
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    if (!Array.isArray(inputs) || inputs.length === 0) {
      sendJson(exchange, 400, openAIError("Invalid 'input'.", 'invalid_request_error', null, 'input'));
      return;
    }
    const model = typeof request.model === 'string' ? request.model : 'omni-moderation-latest';
    // Multimodal input is one list of parts judged together, as OpenAI does; strings are judged one by one.
    const multimodal = inputs.every((input) => input !== null && typeof input === 'object');
    const texts = multimodal
      ? [inputs.map((part) => String((part as { text?: unknown }).text ?? '')).join(' ')]
      : inputs.map(String);
    const categories = ['harassment', 'hate', 'self-harm', 'sexual', 'violence'];
    sendJson(exchange, 200, {
      id: `modr-${randomBytes(8).toString('hex')}`,
      model,
      results: texts.map((text) => {
        const flagged = /\bhate\b/i.test(text);
        return {
          flagged,
          categories: Object.fromEntries(categories.map((name) => [name, flagged && name === 'harassment'])),
          category_scores: Object.fromEntries(
            categories.map((name) => [name, flagged && name === 'harassment' ? 0.91 : 0.0001]),
          ),
          ...(multimodal
            ? { category_applied_input_types: Object.fromEntries(categories.map((name) => [name, ['text']])) }
            : {}),
        };
      }),
    });
  }

  async function chatCompletions(exchange: FakeExchange): Promise<void> {
    const body = exchange.record.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      sendJson(
        exchange,
        400,
        openAIError('We could not parse the JSON body of your request.', 'invalid_request_error'),
      );
      return;
    }
    const request = body as Record<string, unknown>;
    if (typeof request.model !== 'string') {
      sendJson(exchange, 400, openAIError('you must provide a model parameter', 'invalid_request_error'));
      return;
    }
    if (!models.includes(request.model)) {
      sendJson(
        exchange,
        404,
        openAIError(
          `The model \`${request.model}\` does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
        ),
      );
      return;
    }
    if (!Array.isArray(request.messages) || request.messages.length === 0) {
      sendJson(
        exchange,
        400,
        openAIError("Invalid 'messages': empty array.", 'invalid_request_error', null, 'messages'),
      );
      return;
    }
    const fullAnswer = options.reply?.(request) ?? `fake: ${lastUserMessageText(request.messages)}`;
    const limited = limitAnswer(fullAnswer, request.max_completion_tokens ?? request.max_tokens);
    const scripted = (options.toolCalls?.(request) ?? []).map(
      (call): FakeToolCall => ({
        id: `call_${randomBytes(12).toString('hex')}`,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      }),
    );
    const single = fakeToolCall(request.tools, request.messages);
    const toolCalls = scripted.length > 0 ? scripted : single ? [single] : [];
    const toolCall = toolCalls[0];
    const finishReason = toolCall !== undefined ? 'tool_calls' : limited.truncated ? 'length' : 'stop';
    // `n` text answers, told apart by a suffix after the first (tool calls answer one choice).
    const choiceCount = toolCall === undefined && typeof request.n === 'number' && request.n > 1 ? request.n : 1;
    const texts = Array.from({ length: choiceCount }, (_, index) =>
      index === 0 ? limited.text : `${limited.text} (choice ${index + 1})`,
    );
    const promptTokens = promptWordCount(request.messages);
    const completionTokens = countWords(toolCalls.map((call) => call.function.arguments).join(' ') || texts.join(' '));
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    const id = completionId();
    const now = Math.floor(Date.now() / 1000);
    const fingerprint = `fp_${createHash('sha256').update(request.model).digest('hex').slice(0, 10)}`;

    if (request.stream !== true) {
      if (exchange.behaviour.kind === 'cut-stream') {
        exchange.cut();
        return;
      }
      sendJson(exchange, 200, {
        id,
        object: 'chat.completion',
        created: now,
        model: request.model,
        choices: texts.map((text, index) => ({
          index,
          message:
            toolCall === undefined
              ? { role: 'assistant', content: text, refusal: null, annotations: [] }
              : { role: 'assistant', content: null, tool_calls: toolCalls, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        })),
        usage,
        service_tier: 'default',
        system_fingerprint: fingerprint,
      });
      return;
    }

    const includeUsage = (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created: now,
      model: request.model,
      service_tier: 'default',
      system_fingerprint: fingerprint,
      choices,
      // With include_usage OpenAI sends `usage: null` on every chunk but the last.
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
    // With n > 1, OpenAI interleaves the choices' chunks, each chunk carrying one choice and its index.
    const interleave = (perChoice: Array<Array<{ payload: unknown; delayed: boolean }>>) => {
      const merged: Array<{ payload: unknown; delayed: boolean }> = [];
      for (let step = 0; perChoice.some((frames) => step < frames.length); step += 1) {
        for (const frames of perChoice) {
          const frame = frames[step];
          if (frame) merged.push(frame);
        }
      }
      return merged;
    };
    const frames = interleave(
      texts.map((text, index) => [
        {
          payload: chunk([
            { index, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
          ]),
          delayed: false,
        },
        ...(toolCall === undefined
          ? splitAnswer(text, options.streamChunks).map((piece) => ({
              payload: chunk([{ index, delta: { content: piece }, logprobs: null, finish_reason: null }]),
              delayed: true,
            }))
          : toolCallFrames(toolCalls).map((delta) => ({
              payload: chunk([{ index, delta, logprobs: null, finish_reason: null }]),
              delayed: true,
            }))),
        { payload: chunk([{ index, delta: {}, logprobs: null, finish_reason: finishReason }]), delayed: false },
      ]),
    );
    if (includeUsage) frames.push({ payload: chunk([], { usage }), delayed: false });

    exchange.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': `req_${randomBytes(16).toString('hex')}`,
    });
    exchange.response.flushHeaders();
    const behaviour: FakeBehaviour = exchange.behaviour;
    let sent = 0;
    for (const frame of frames) {
      if (behaviour.kind === 'cut-stream' && sent >= behaviour.afterChunks) {
        exchange.cut();
        return;
      }
      if (behaviour.kind === 'stream-error' && sent >= behaviour.afterChunks) {
        const message = behaviour.message ?? 'The server had an error while processing your request. Sorry about that!';
        await writeFrame(exchange, `data: ${JSON.stringify(openAIError(message, 'server_error'))}\n\n`, options);
        exchange.response.end();
        return;
      }
      if (frame.delayed && options.chunkDelayMs !== undefined) await sleep(options.chunkDelayMs);
      if (exchange.closed()) return;
      await writeFrame(exchange, `data: ${JSON.stringify(frame.payload)}\n\n`, options);
      sent += 1;
    }
    await writeFrame(exchange, 'data: [DONE]\n\n', options);
    exchange.response.end();
  }

  const server = await startFakeHttpServer(
    handle,
    (exchange, behaviour) => {
      const body = behaviour.bodyFor?.(exchange.record) ?? behaviour.body ?? defaultErrorBody(behaviour.status);
      sendJson(exchange, behaviour.status, body, behaviour.headers);
    },
    '/v1',
  );
  return server;
}
