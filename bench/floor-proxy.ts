/**
 * The floor: the least a Node gateway can do per request, run as its own process.
 *
 *   node --import tsx floor-proxy.ts <upstream origin> <port>
 *
 * A `node:http` server that reads the whole request body, forwards it with undici (one keep-alive
 * Pool to the upstream, configured like Switchyard's provider pool) and pipes status, headers and
 * body back as they arrive, so streams stream. No auth, no logging, no parsing, no usage rows:
 * Switchyard's CPU per request is reported as a multiple of this one's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';

const [, , originArgument, portArgument] = process.argv;
if (!originArgument) throw new Error('usage: floor-proxy.ts <upstream origin> <port>');
const origin: string = originArgument;
const port = Number(portArgument ?? 0);

const pool = new Pool(origin, {
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  headersTimeout: 0,
  bodyTimeout: 0,
});

/** Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus the length we set ourselves. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'content-length',
]);

function forwardedHeaders(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let index = 0; index < raw.length; index += 2) {
    const name = (raw[index] as string).toLowerCase();
    if (!hopByHop.has(name)) headers[name] = raw[index + 1] as string;
  }
  return headers;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    request.on('data', (piece: Buffer) => pieces.push(piece));
    request.on('end', () => resolve(pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces)));
    request.on('error', reject);
  });
}

async function proxy(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  const headers = forwardedHeaders(request.rawHeaders);
  headers['content-length'] = String(body.length);
  const upstream = await pool.request({
    origin,
    path: request.url ?? '/',
    method: (request.method ?? 'GET') as 'POST',
    headers,
    body,
  });
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if ((typeof value === 'string' || Array.isArray(value)) && !hopByHop.has(name)) out[name] = value;
  }
  // A fixed-length answer keeps its length; a stream goes out chunked, each upstream write as it comes.
  const length = upstream.headers['content-length'];
  if (typeof length === 'string') out['content-length'] = length;
  response.writeHead(upstream.statusCode, out);
  // A client that leaves destroys the response; pipeline then destroys the upstream body, which aborts the
  // upstream request, as a gateway must.
  pipeline(upstream.body, response, () => {});
}

const server = createServer(
  { keepAliveTimeout: 120_000, requestTimeout: 0, headersTimeout: 60_000 },
  (request, response) => {
    proxy(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
  },
);
server.maxRequestsPerSocket = 0;
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
  const address = server.address();
  const listening = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ type: 'ready', port: listening });
  else process.stdout.write(`floor proxy on http://127.0.0.1:${listening} → ${origin}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    pool.close().finally(() => process.exit(0));
  });
});
