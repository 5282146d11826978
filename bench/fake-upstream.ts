/**
 * A deliberately cheap OpenAI-compatible upstream, run in its own process:
 * precomputed bodies, keep-alive, no JSON parsing on the hot path.
 *
 *   POST /v1/chat/completions   non-streaming, or SSE when the body has "stream": true
 *   GET  /v1/models
 *   POST /__config              {"chunks": N, "delayMs": D}: stream shape for the next requests
 *   GET  /__stats               requests served, open streams, service time percentiles (µs)
 *   POST /__reset               clears the counters
 *
 * A stream writes its first chunk with the headers, then one chunk every `delayMs`
 * (all at once, one write each, when 0), then a usage chunk and `data: [DONE]`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { summarize } from './stats';

interface StreamShape {
  chunks: number;
  delayMs: number;
}

const created = 1_700_000_000;
const completionBody = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model: 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello from the bench upstream. This is a short answer.' },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
    system_fingerprint: 'fp_bench',
  }),
);
const completionHeaders = {
  'content-type': 'application/json',
  'content-length': String(completionBody.length),
};
const modelsBody = Buffer.from(
  JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created, owned_by: 'bench' }] }),
);
const streamHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

function frame(value: unknown): Buffer {
  return Buffer.from(`data: ${JSON.stringify(value)}\n\n`);
}

function chunk(delta: Record<string, unknown>, finishReason: string | null): Buffer {
  return frame({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created,
    model: 'gpt-4o-mini',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
}

const firstChunk = chunk({ role: 'assistant', content: '' }, null);
const tokenChunk = chunk({ content: 'token ' }, null);
const lastChunk = chunk({}, 'stop');
const doneFrame = Buffer.from('data: [DONE]\n\n');

let shape: StreamShape = { chunks: 20, delayMs: 0 };
let usageChunk = usageFrame(shape.chunks);
let served = 0;
let streamsServed = 0;
let openStreams = 0;
let serviceTimes: number[] = [];
const maxSamples = 200_000;

function usageFrame(completionTokens: number): Buffer {
  return frame({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created,
    model: 'gpt-4o-mini',
    choices: [],
    usage: { prompt_tokens: 9, completion_tokens: completionTokens, total_tokens: 9 + completionTokens },
  });
}

function recordServiceTime(started: bigint): void {
  if (serviceTimes.length < maxSamples) serviceTimes.push(Number(process.hrtime.bigint() - started) / 1000);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    request.on('data', (piece: Buffer) => pieces.push(piece));
    request.on('end', () =>
      resolve(pieces.length === 1 ? (pieces[0] as Buffer).toString() : Buffer.concat(pieces).toString()),
    );
    request.on('error', reject);
  });
}

function stream(request: IncomingMessage, response: ServerResponse, body: string, started: bigint): void {
  const { chunks, delayMs } = shape;
  const wantsUsage = body.includes('"include_usage":true');
  streamsServed += 1;
  openStreams += 1;
  response.writeHead(200, streamHeaders);
  response.write(firstChunk);
  let written = 1;
  let timer: NodeJS.Timeout | null = null;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    openStreams -= 1;
    if (timer) clearTimeout(timer);
  };
  const writeRest = () => {
    while (written < chunks) {
      written += 1;
      response.write(written === chunks ? lastChunk : tokenChunk);
      if (delayMs > 0 && written < chunks) {
        timer = setTimeout(writeRest, delayMs);
        return;
      }
    }
    if (wantsUsage) response.write(usageChunk);
    response.end(doneFrame);
    recordServiceTime(started);
    finish();
  };
  // A client (or gateway) that leaves early must not leave a timer behind.
  response.on('close', finish);
  request.on('error', finish);
  if (delayMs > 0) timer = setTimeout(writeRest, delayMs);
  else writeRest();
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  const url = request.url ?? '/';
  if (request.method === 'POST' && url.endsWith('/chat/completions')) {
    const body = await readBody(request);
    served += 1;
    if (/"stream"\s*:\s*true/.test(body)) {
      stream(request, response, body, started);
      return;
    }
    response.writeHead(200, completionHeaders);
    response.end(completionBody);
    recordServiceTime(started);
    return;
  }
  if (request.method === 'GET' && url.endsWith('/models')) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(modelsBody);
    return;
  }
  if (url === '/__config' && request.method === 'POST') {
    const next = JSON.parse(await readBody(request)) as Partial<StreamShape>;
    shape = { chunks: Math.max(2, next.chunks ?? shape.chunks), delayMs: Math.max(0, next.delayMs ?? shape.delayMs) };
    usageChunk = usageFrame(shape.chunks);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(shape));
    return;
  }
  if (url === '/__stats') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        served,
        streamsServed,
        openStreams,
        serviceTimeMicroseconds: summarize(serviceTimes),
        rssBytes: process.memoryUsage.rss(),
      }),
    );
    return;
  }
  if (url === '/__reset' && request.method === 'POST') {
    served = 0;
    streamsServed = 0;
    serviceTimes = [];
    response.writeHead(204);
    response.end();
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
}

const server = createServer(
  { keepAliveTimeout: 120_000, requestTimeout: 0, headersTimeout: 60_000 },
  (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  },
);
server.maxRequestsPerSocket = 0;
server.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1', backlog: 4096 }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ type: 'ready', port });
  else process.stdout.write(`fake upstream on http://127.0.0.1:${port}/v1\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
