import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  countWords,
  type FakeExchange,
  type FakeServerOptions,
  type FakeUpstreamServer,
  limitAnswer,
  splitAnswer,
  startFakeHttpServer,
  writeFrame,
} from './fake-http-server';
import { fakeEmbedding } from './openai-server';

export interface FakeGeminiOptions extends FakeServerOptions {
  /** When set, requests must carry `x-goog-api-key: <apiKey>` (or `?key=`) or get Gemini's invalid-key 400. */
  apiKey?: string;
  /** Models that answer `batchEmbedContents` and `embedContent`. */
  embeddingModels?: string[];
}

export type FakeGeminiServer = FakeUpstreamServer;

/** Sent on function calls, as Gemini 3 does, so adapters can be checked to hand it back. */
export const fakeThoughtSignature = 'ZmFrZS10aG91Z2h0LXNpZ25hdHVyZQ==';

interface GeminiErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

function geminiError(code: number, status: string, message: string, details?: unknown[]): GeminiErrorBody {
  return { error: { code, message, status, ...(details === undefined ? {} : { details }) } };
}

function unknownModel(model: string, method: string): GeminiErrorBody {
  return geminiError(
    404,
    'NOT_FOUND',
    `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );
}

/** The bodies Google really sends for common failures, so error mapping is tested against realistic input. */
function defaultErrorBody(status: number): GeminiErrorBody {
  switch (status) {
    case 400:
      return geminiError(
        400,
        'INVALID_ARGUMENT',
        'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
      );
    case 403:
      return geminiError(
        403,
        'PERMISSION_DENIED',
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    case 404:
      return unknownModel('gemini-missing', 'generateContent');
    case 429:
      return geminiError(
        429,
        'RESOURCE_EXHAUSTED',
        'You exceeded your current quota, please check your plan and billing details.',
        [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }],
      );
    case 503:
      return geminiError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    default:
      return geminiError(
        500,
        'INTERNAL',
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      );
  }
}

const invalidKey = geminiError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
  { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
]);

function sendJson(exchange: FakeExchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  exchange.response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  exchange.response.end(JSON.stringify(body));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function partsOf(content: unknown): Array<Record<string, unknown>> {
  if (!isRecord(content) || !Array.isArray(content.parts)) return [];
  return content.parts.filter(isRecord);
}

function textOf(content: unknown): string {
  return partsOf(content)
    .flatMap((part) => (typeof part.text === 'string' ? [part.text] : []))
    .join('\n');
}

function lastUserContent(contents: unknown): unknown {
  if (!Array.isArray(contents)) return undefined;
  for (let index = contents.length - 1; index >= 0; index -= 1) {
    const content: unknown = contents[index];
    if (isRecord(content) && content.role === 'user') return content;
  }
  return undefined;
}

function firstFunctionName(tools: unknown): string | undefined {
  if (!Array.isArray(tools)) return undefined;
  for (const tool of tools) {
    if (!isRecord(tool) || !Array.isArray(tool.functionDeclarations)) continue;
    const first: unknown = tool.functionDeclarations[0];
    if (isRecord(first) && typeof first.name === 'string') return first.name;
  }
  return undefined;
}

/**
 * A fake of Google's Gemini API (v1beta): `generateContent`,
 * `streamGenerateContent` (SSE with `alt=sse`, a JSON array without),
 * `batchEmbedContents`, `embedContent` and the model list. When a request has
 * function declarations and the last user text says "call tool", it answers
 * with a `functionCall` of the first one with `{query}`.
 */
export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGeminiServer> {
  const models = options.models ?? ['gemini-2.5-flash', 'gemini-2.5-pro'];
  const embeddingModels = options.embeddingModels ?? ['gemini-embedding-001', 'text-embedding-004'];

  async function handle(exchange: FakeExchange): Promise<void> {
    const { record } = exchange;
    const url = new URL(record.path, 'http://fake.invalid');
    const key = record.headers['x-goog-api-key'] ?? url.searchParams.get('key') ?? undefined;
    if (options.apiKey !== undefined && key !== options.apiKey) {
      sendJson(exchange, 400, invalidKey);
      return;
    }
    if (record.method === 'GET' && url.pathname === '/v1beta/models') {
      sendJson(exchange, 200, {
        models: [
          ...models.map((name) => ({
            name: `models/${name}`,
            version: '001',
            displayName: name,
            inputTokenLimit: 1_048_576,
            outputTokenLimit: 65_536,
            supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent'],
          })),
          ...embeddingModels.map((name) => ({
            name: `models/${name}`,
            version: '001',
            displayName: name,
            inputTokenLimit: 2048,
            outputTokenLimit: 1,
            supportedGenerationMethods: ['embedContent', 'countTextTokens', 'countTokens'],
          })),
          { name: 'models/aqa', version: '001', supportedGenerationMethods: ['generateAnswer'] },
        ],
      });
      return;
    }
    const match = /^\/v1beta\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
    if (record.method === 'POST' && match !== null) {
      const model = decodeURIComponent(match[1] ?? '');
      const method = match[2] ?? '';
      if (method === 'generateContent' || method === 'streamGenerateContent') {
        if (!models.includes(model)) {
          sendJson(exchange, 404, unknownModel(model, method));
          return;
        }
        await generate(exchange, model, method === 'streamGenerateContent', url.searchParams.get('alt') === 'sse');
        return;
      }
      if (method === 'batchEmbedContents' || method === 'embedContent') {
        if (!embeddingModels.includes(model)) {
          sendJson(exchange, 404, unknownModel(model, method));
          return;
        }
        embed(exchange, model, method === 'batchEmbedContents');
        return;
      }
    }
    sendJson(exchange, 404, geminiError(404, 'NOT_FOUND', `Method not found: ${record.method} ${url.pathname}`));
  }

  function embed(exchange: FakeExchange, model: string, batch: boolean): void {
    const body = exchange.record.body;
    const requests = batch ? (isRecord(body) ? body.requests : undefined) : [body];
    if (!Array.isArray(requests) || requests.length === 0) {
      sendJson(
        exchange,
        400,
        geminiError(400, 'INVALID_ARGUMENT', '* BatchEmbedContentsRequest.requests: is required'),
      );
      return;
    }
    const embeddings: Array<{ values: number[] }> = [];
    for (const [index, request] of requests.entries()) {
      if (!isRecord(request) || (batch && request.model !== `models/${model}`)) {
        sendJson(
          exchange,
          400,
          geminiError(
            400,
            'INVALID_ARGUMENT',
            `* BatchEmbedContentsRequest.requests[${index}].model: unexpected model name format`,
          ),
        );
        return;
      }
      const dimensions = typeof request.outputDimensionality === 'number' ? request.outputDimensionality : undefined;
      embeddings.push({ values: fakeEmbedding(textOf(request.content), dimensions) });
    }
    sendJson(exchange, 200, batch ? { embeddings } : { embedding: embeddings[0] });
  }

  async function generate(exchange: FakeExchange, model: string, stream: boolean, sse: boolean): Promise<void> {
    const request = exchange.record.body;
    if (!isRecord(request) || !Array.isArray(request.contents) || request.contents.length === 0) {
      sendJson(
        exchange,
        400,
        geminiError(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified'),
      );
      return;
    }
    const config = isRecord(request.generationConfig) ? request.generationConfig : {};
    const lastUser = lastUserContent(request.contents);
    const userText = textOf(lastUser);
    const functionResponses = partsOf(lastUser).filter((part) => isRecord(part.functionResponse));
    const toolName = firstFunctionName(request.tools);
    const callsTool = toolName !== undefined && functionResponses.length === 0 && /call tool/i.test(userText);
    const text =
      options.reply?.(request) ??
      (functionResponses.length === 0
        ? `fake: ${userText}`
        : `fake: tool said ${functionResponses.map((part) => JSON.stringify((part.functionResponse as Record<string, unknown>).response)).join('\n')}`);
    const answer = config.responseMimeType === 'application/json' ? JSON.stringify({ answer: text }) : text;
    const limited = limitAnswer(answer, config.maxOutputTokens);
    const finishReason = limited.truncated ? 'MAX_TOKENS' : 'STOP';
    const args = { query: userText };
    const promptTokenCount =
      request.contents.reduce((sum: number, content: unknown) => sum + countWords(textOf(content)), 0) +
      countWords(textOf(request.systemInstruction));
    const candidatesTokenCount = callsTool ? countWords(JSON.stringify(args)) : countWords(limited.text);
    const usageMetadata = {
      promptTokenCount,
      candidatesTokenCount,
      totalTokenCount: promptTokenCount + candidatesTokenCount,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokenCount }],
    };
    const responseId = randomBytes(12).toString('base64url');
    const frame = (parts: unknown[], last: boolean) => ({
      candidates: [
        {
          content: { parts, role: 'model' },
          index: 0,
          ...(last ? { finishReason: callsTool ? 'STOP' : finishReason } : {}),
        },
      ],
      usageMetadata: last ? usageMetadata : { promptTokenCount, totalTokenCount: promptTokenCount },
      modelVersion: model,
      responseId,
    });
    const functionCallPart = { functionCall: { name: toolName, args }, thoughtSignature: fakeThoughtSignature };

    if (!stream) {
      if (exchange.behaviour.kind === 'cut-stream') {
        exchange.cut();
        return;
      }
      sendJson(exchange, 200, frame(callsTool ? [functionCallPart] : [{ text: limited.text }], true));
      return;
    }

    const pieces = callsTool ? [] : splitAnswer(limited.text, options.streamChunks);
    const frames = callsTool
      ? [frame([functionCallPart], true)]
      : (pieces.length === 0 ? [''] : pieces).map((piece, index, all) =>
          frame([{ text: piece }], index === all.length - 1),
        );

    if (!sse) {
      // Without alt=sse Google streams one JSON array; nothing reads it incrementally here, so it goes out whole.
      sendJson(exchange, 200, frames);
      return;
    }
    exchange.response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    exchange.response.flushHeaders();
    const behaviour = exchange.behaviour;
    let sent = 0;
    for (const payload of frames) {
      if (behaviour.kind === 'cut-stream' && sent >= behaviour.afterChunks) {
        exchange.cut();
        return;
      }
      if (behaviour.kind === 'stream-error' && sent >= behaviour.afterChunks) {
        const error = geminiError(
          500,
          'INTERNAL',
          behaviour.message ??
            'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
        );
        await writeFrame(exchange, `data: ${JSON.stringify(error)}\r\n\r\n`, options);
        exchange.response.end();
        return;
      }
      if (options.chunkDelayMs !== undefined) await sleep(options.chunkDelayMs);
      if (exchange.closed()) return;
      // Google separates SSE events with CRLF pairs.
      await writeFrame(exchange, `data: ${JSON.stringify(payload)}\r\n\r\n`, options);
      sent += 1;
    }
    exchange.response.end();
  }

  return startFakeHttpServer(handle, (exchange, behaviour) => {
    sendJson(exchange, behaviour.status, behaviour.body ?? defaultErrorBody(behaviour.status), behaviour.headers);
  });
}
