/**
 * An OpenAI-compatible upstream that misbehaves on demand, run in its own process. The upstream model
 * name in the request picks the behaviour, so one Switchyard config can route models to every fault:
 *
 *   ok            answers (JSON, or SSE when "stream": true)
 *   slow-<ms>     answers after <ms> milliseconds
 *   fail-500      500 with an OpenAI error body
 *   fail-429      429 with Retry-After: 1
 *   hang          never answers (until the caller gives up)
 *   garbage       200, content-type JSON, a body that is not JSON
 *   cut           streams: one token, then the socket is destroyed; non-streaming: half a body, then the same
 *
 * A message containing `mark:<id>` is counted per id (GET /__marks), so a caller can tell how many times
 * each job reached the upstream. GET /__stats gives the counts per behaviour and the open connections.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const created = 1_700_000_000;
const marks = new Map<string, number>();
const served = new Map<string, number>();
let openConnections = 0;

function completion(model: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-faults',
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Fault battery answer.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
    }),
  );
}

function chunk(model: string, delta: Record<string, unknown>, finishReason: string | null): string {
  const body = { id: 'chatcmpl-faults', object: 'chat.completion.chunk', created, model };
  return `data: ${JSON.stringify({ ...body, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    request.on('data', (piece: Buffer) => pieces.push(piece));
    request.on('end', () => resolve(Buffer.concat(pieces).toString()));
    request.on('error', reject);
  });
}

function answer(response: ServerResponse, model: string, stream: boolean): void {
  if (!stream) {
    const body = completion(model);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    response.end(body);
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.write(chunk(model, { role: 'assistant', content: '' }, null));
  response.write(chunk(model, { content: 'Fault ' }, null));
  response.write(chunk(model, { content: 'battery.' }, null));
  response.write(chunk(model, {}, 'stop'));
  response.write(
    `data: ${JSON.stringify({ id: 'chatcmpl-faults', object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } })}\n\n`,
  );
  response.end('data: [DONE]\n\n');
}

function sendError(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { message: `upstream says ${status}`, type: 'server_error', code: null } });
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body);
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = request.url ?? '/';
  if (request.method === 'POST' && url.endsWith('/chat/completions')) {
    const text = await readBody(request);
    const body = JSON.parse(text) as { model?: string; stream?: boolean };
    const model = body.model ?? 'ok';
    const stream = body.stream === true;
    served.set(model, (served.get(model) ?? 0) + 1);
    for (const match of text.matchAll(/mark:([\w.-]+)/g)) {
      const id = match[1] as string;
      marks.set(id, (marks.get(id) ?? 0) + 1);
    }
    if (model === 'ok') return answer(response, model, stream);
    if (model.startsWith('slow-')) {
      const delay = Number(model.slice(5));
      const timer = setTimeout(() => answer(response, model, stream), delay);
      response.on('close', () => clearTimeout(timer));
      return;
    }
    if (model === 'fail-500') return sendError(response, 500);
    if (model === 'fail-429') return sendError(response, 429, { 'retry-after': '1' });
    if (model === 'hang') return; // The socket stays open until the caller closes it.
    if (model === 'garbage') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('<html>this is not json');
      return;
    }
    if (model === 'cut') {
      if (stream) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(chunk(model, { role: 'assistant', content: '' }, null));
        response.write(chunk(model, { content: 'Half ' }, null));
      } else {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
        response.write('{"id":"chatcmpl-faults","object":"chat.com');
      }
      setTimeout(() => response.socket?.destroy(), 20);
      return;
    }
    return sendError(response, 400);
  }
  if (request.method === 'GET' && url.endsWith('/models')) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ object: 'list', data: [{ id: 'ok', object: 'model', created, owned_by: 'faults' }] }),
    );
    return;
  }
  if (url === '/__marks') {
    let total = 0;
    const repeated: Record<string, number> = {};
    for (const [id, count] of marks) {
      total += count;
      if (count > 1) repeated[id] = count;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ distinct: marks.size, total, repeated }));
    return;
  }
  if (url === '/__stats') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ served: Object.fromEntries(served), openConnections }));
    return;
  }
  if (url === '/__reset' && request.method === 'POST') {
    marks.clear();
    served.clear();
    response.writeHead(204);
    response.end();
    return;
  }
  sendError(response, 404);
}

const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, (request, response) => {
  handle(request, response).catch((error: unknown) => {
    if (!response.headersSent) response.writeHead(500);
    response.end(String(error));
  });
});
server.on('connection', (socket) => {
  openConnections += 1;
  socket.on('close', () => {
    openConnections -= 1;
  });
});
server.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1', backlog: 4096 }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ type: 'ready', port });
  else process.stdout.write(`fault upstream on http://127.0.0.1:${port}/v1\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
