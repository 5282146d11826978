import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  countWords,
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
import { fakeEmbedding } from './openai-server';

export type FakeOllamaOptions = FakeServerOptions;
export type FakeOllamaServer = FakeUpstreamServer;

const ollamaVersion = '0.12.6';

function sendJson(exchange: FakeExchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const isText = typeof body === 'string';
  exchange.response.writeHead(status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...headers,
  });
  exchange.response.end(isText ? body : JSON.stringify(body));
}

function defaultErrorBody(status: number): { error: string } {
  switch (status) {
    case 400:
      return { error: 'invalid options: num_predict' };
    case 404:
      return { error: 'model "missing-model" not found, try pulling it first' };
    case 429:
      return { error: 'server busy, please try again.  maximum pending requests exceeded' };
    default:
      return { error: 'llama runner process has terminated: exit status 2' };
  }
}

function modelDetails(name: string) {
  const family = name.split(/[:.\d]/)[0] || 'llama';
  const size = /(\d+(?:\.\d+)?)b/i.exec(name)?.[1] ?? '8';
  return {
    parent_model: '',
    format: 'gguf',
    family,
    families: [family],
    parameter_size: `${size}B`,
    quantization_level: 'Q4_K_M',
  };
}

/** A fake of Ollama's native API: `/api/chat` (NDJSON stream or one JSON object), `/api/tags`, `/api/version`. */
export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllamaServer> {
  const models = options.models ?? ['llama3.1:8b', 'qwen2.5:14b-instruct'];

  async function handle(exchange: FakeExchange): Promise<void> {
    const { record } = exchange;
    const path = record.path.split('?')[0] ?? '';
    if (record.method === 'GET' && path === '/') {
      sendJson(exchange, 200, 'Ollama is running');
      return;
    }
    if (record.method === 'GET' && path === '/api/version') {
      sendJson(exchange, 200, { version: ollamaVersion });
      return;
    }
    if (record.method === 'GET' && path === '/api/tags') {
      sendJson(exchange, 200, {
        models: models.map((name) => ({
          name,
          model: name,
          modified_at: '2025-09-01T10:00:00.000000000Z',
          size: 4_920_753_328,
          digest: createHash('sha256').update(name).digest('hex'),
          details: modelDetails(name),
        })),
      });
      return;
    }
    if (record.method === 'POST' && path === '/api/chat') {
      await chat(exchange);
      return;
    }
    if (record.method === 'POST' && path === '/api/generate') {
      await generate(exchange);
      return;
    }
    if (record.method === 'POST' && path === '/api/embed') {
      embed(exchange);
      return;
    }
    // Ollama's Go router answers unknown routes with plain text.
    sendJson(exchange, 404, '404 page not found');
  }

  /** `/api/generate`: continues the prompt with ` fake: <prompt>`, as one JSON object or NDJSON lines. */
  async function generate(exchange: FakeExchange): Promise<void> {
    const request = (exchange.record.body ?? {}) as Record<string, unknown>;
    if (typeof request.model !== 'string' || !models.includes(request.model)) {
      sendJson(exchange, 404, { error: `model "${String(request.model)}" not found, try pulling it first` });
      return;
    }
    const prompt = typeof request.prompt === 'string' ? request.prompt : '';
    const requestOptions = (request.options ?? {}) as Record<string, unknown>;
    const limited = limitAnswer(options.reply?.(request) ?? ` fake: ${prompt}`, requestOptions.num_predict);
    const model = request.model;
    const statistics = {
      done: true,
      done_reason: limited.truncated ? 'length' : 'stop',
      total_duration: 1_234_567_890,
      prompt_eval_count: countWords(prompt),
      eval_count: countWords(limited.text),
    };
    if (request.stream === false) {
      sendJson(exchange, 200, { model, created_at: new Date().toISOString(), response: limited.text, ...statistics });
      return;
    }
    exchange.response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    exchange.response.flushHeaders();
    for (const piece of splitAnswer(limited.text, options.streamChunks)) {
      if (exchange.closed()) return;
      const line = { model, created_at: new Date().toISOString(), response: piece, done: false };
      await writeFrame(exchange, `${JSON.stringify(line)}\n`, options);
    }
    const last = { model, created_at: new Date().toISOString(), response: '', ...statistics };
    await writeFrame(exchange, `${JSON.stringify(last)}\n`, options);
    exchange.response.end();
  }

  function embed(exchange: FakeExchange): void {
    const request = (exchange.record.body ?? {}) as Record<string, unknown>;
    if (typeof request.model !== 'string' || !models.includes(request.model)) {
      sendJson(exchange, 404, { error: `model "${String(request.model)}" not found, try pulling it first` });
      return;
    }
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    if (!Array.isArray(inputs)) {
      sendJson(exchange, 400, { error: 'invalid input type' });
      return;
    }
    const dimensions = typeof request.dimensions === 'number' ? request.dimensions : undefined;
    sendJson(exchange, 200, {
      model: request.model,
      embeddings: inputs.map((input: unknown) => fakeEmbedding(String(input), dimensions)),
      total_duration: 14_143_917,
      load_duration: 1_019_500,
      prompt_eval_count: inputs.reduce((sum: number, input: unknown) => sum + countWords(String(input)), 0),
    });
  }

  async function chat(exchange: FakeExchange): Promise<void> {
    const body = exchange.record.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      sendJson(exchange, 400, { error: 'invalid character in request body' });
      return;
    }
    const request = body as Record<string, unknown>;
    if (typeof request.model !== 'string' || request.model === '') {
      sendJson(exchange, 400, { error: 'model is required' });
      return;
    }
    if (!models.includes(request.model)) {
      sendJson(exchange, 404, { error: `model "${request.model}" not found, try pulling it first` });
      return;
    }
    const requestOptions = (request.options ?? {}) as Record<string, unknown>;
    const text = options.reply?.(request) ?? `fake: ${lastUserMessageText(request.messages)}`;
    const answer = request.format === undefined ? text : JSON.stringify({ answer: text });
    const limited = limitAnswer(answer, requestOptions.num_predict);
    // Tool-call mode: the request offers tools and the last message is a user asking to "call tool".
    const toolName = (
      Array.isArray(request.tools) ? (request.tools[0] as { function?: { name?: unknown } }) : undefined
    )?.function?.name;
    const lastRole = Array.isArray(request.messages)
      ? (request.messages.at(-1) as { role?: unknown })?.role
      : undefined;
    const userText = lastUserMessageText(request.messages);
    const toolCalls =
      typeof toolName === 'string' && lastRole === 'user' && /call tool/i.test(userText)
        ? [{ function: { name: toolName, arguments: { query: userText } } }]
        : undefined;
    const statistics = {
      done_reason: limited.truncated ? 'length' : 'stop',
      done: true,
      total_duration: 1_234_567_890,
      load_duration: 12_345_678,
      prompt_eval_count: promptWordCount(request.messages),
      prompt_eval_duration: 23_456_789,
      eval_count: toolCalls === undefined ? countWords(limited.text) : 1,
      eval_duration: 987_654_321,
    };
    const model = request.model;
    const createdAt = () => new Date().toISOString();

    // Ollama streams unless told otherwise.
    if (request.stream === false) {
      if (exchange.behaviour.kind === 'cut-stream') {
        exchange.cut();
        return;
      }
      sendJson(exchange, 200, {
        model,
        created_at: createdAt(),
        message: { role: 'assistant', content: toolCalls === undefined ? limited.text : '', tool_calls: toolCalls },
        ...statistics,
      });
      return;
    }

    exchange.response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    exchange.response.flushHeaders();
    const behaviour = exchange.behaviour;
    const pieces = splitAnswer(limited.text, options.streamChunks);
    const lines = [
      ...(toolCalls === undefined
        ? pieces.map((piece) => ({
            line: { model, created_at: '', message: { role: 'assistant', content: piece }, done: false },
            delayed: true,
          }))
        : [
            {
              line: {
                model,
                created_at: '',
                message: { role: 'assistant', content: '', tool_calls: toolCalls },
                done: false,
              },
              delayed: true,
            },
          ]),
      { line: { model, created_at: '', message: { role: 'assistant', content: '' }, ...statistics }, delayed: false },
    ];
    let sent = 0;
    for (const { line, delayed } of lines) {
      if (behaviour.kind === 'cut-stream' && sent >= behaviour.afterChunks) {
        exchange.cut();
        return;
      }
      if (behaviour.kind === 'stream-error' && sent >= behaviour.afterChunks) {
        const message = behaviour.message ?? 'an error was encountered while running the model: unexpected EOF';
        await writeFrame(exchange, `${JSON.stringify({ error: message })}\n`, options);
        exchange.response.end();
        return;
      }
      if (delayed && options.chunkDelayMs !== undefined) await sleep(options.chunkDelayMs);
      if (exchange.closed()) return;
      line.created_at = createdAt();
      await writeFrame(exchange, `${JSON.stringify(line)}\n`, options);
      sent += 1;
    }
    exchange.response.end();
  }

  return startFakeHttpServer(handle, (exchange, behaviour) => {
    sendJson(exchange, behaviour.status, behaviour.body ?? defaultErrorBody(behaviour.status), behaviour.headers);
  });
}
