import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a fake upstream does with the next requests, until changed. */
export type FakeBehaviour =
  | { kind: 'ok' }
  | {
      kind: 'error';
      status: number;
      body?: unknown;
      /** Builds the error body from the request, e.g. to echo a header back as some upstreams do. */
      bodyFor?: (request: RecordedRequest) => unknown;
      headers?: Record<string, string>;
    }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  /** Answers normally once `until` settles: a test decides when (e.g. after it started a shutdown). */
  | { kind: 'hold'; until: Promise<unknown> }
  /** Destroys the socket after this many stream frames (a non-stream request gets its socket destroyed unanswered). */
  | { kind: 'cut-stream'; afterChunks: number }
  /** Sends the protocol's in-stream error after this many frames, then ends the response. */
  | { kind: 'stream-error'; afterChunks: number; message?: string };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
  /** The body's bytes as sent (multipart uploads are binary). */
  rawBody: Buffer;
}

export interface FakeStreamOptions {
  /** Split the answer into this many stream frames; default one frame per word. */
  streamChunks?: number;
  /** Pause before each content frame, to give tests time to abort mid-stream. */
  chunkDelayMs?: number;
  /** Write every frame in two TCP writes, so clients must handle split lines. */
  fragmentWrites?: boolean;
}

export interface FakeServerOptions extends FakeStreamOptions {
  models?: string[];
  /** The answer to a chat request; default `fake: <last user message text>`. */
  reply?: (body: Record<string, unknown>) => string;
}

export interface FakeUpstreamServer {
  /** Base URL a provider config points at (ends in `/v1` for the OpenAI fake). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests the client gave up on (aborted, timed out) before the response was finished. */
  readonly abortedRequests: number;
  readonly openConnections: number;
  setBehaviour(behaviour: FakeBehaviour): void;
  close(): Promise<void>;
}

export interface FakeExchange {
  request: IncomingMessage;
  response: ServerResponse;
  record: RecordedRequest;
  behaviour: FakeBehaviour;
  /** Destroys the connection on purpose, without counting it as a client abort. */
  cut(): void;
  /** True once the client went away, so stream loops can stop writing. */
  closed(): boolean;
}

export type FakeHandler = (exchange: FakeExchange) => Promise<void> | void;

async function readBody(request: IncomingMessage): Promise<{ body: unknown; rawBody: Buffer }> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  const rawBody = Buffer.concat(parts);
  const text = rawBody.toString('utf8');
  if (text === '') return { body: undefined, rawBody };
  try {
    return { body: JSON.parse(text), rawBody };
  } catch {
    return { body: text, rawBody };
  }
}

/** Shared plumbing of the fakes: a real HTTP server on 127.0.0.1 that records requests and can misbehave. */
export async function startFakeHttpServer(
  handler: FakeHandler,
  errorResponder: (exchange: FakeExchange, behaviour: Extract<FakeBehaviour, { kind: 'error' }>) => void,
  urlSuffix = '',
): Promise<FakeUpstreamServer> {
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  let behaviour: FakeBehaviour = { kind: 'ok' };
  let abortedRequests = 0;
  let closing = false;

  const server = createServer(async (request, response) => {
    let cutOnPurpose = false;
    response.on('close', () => {
      if (!response.writableFinished && !cutOnPurpose && !closing) abortedRequests += 1;
    });
    const { body, rawBody } = await readBody(request);
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      headers: request.headers,
      body,
      rawBody,
    };
    requests.push(record);
    const current = behaviour;
    const exchange: FakeExchange = {
      request,
      response,
      record,
      behaviour: current,
      cut() {
        cutOnPurpose = true;
        // Ending lets the frames already written reach the client before the connection drops.
        const socket = response.socket;
        socket?.end(() => socket.destroy());
      },
      closed: () => response.destroyed || response.socket === null || response.socket.destroyed,
    };
    if (current.kind === 'hang') return;
    if (current.kind === 'delay') await sleep(current.ms);
    if (current.kind === 'hold') await current.until.catch(() => {});
    if (exchange.closed()) return;
    if (current.kind === 'error') {
      errorResponder(exchange, current);
      return;
    }
    try {
      await handler(exchange);
    } catch (error) {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`fake server bug: ${String(error)}`);
      } else {
        response.destroy();
      }
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${urlSuffix}`,
    requests,
    get abortedRequests() {
      return abortedRequests;
    },
    get openConnections() {
      return sockets.size;
    },
    setBehaviour(next) {
      behaviour = next;
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Writes one protocol frame, optionally in two TCP writes with a pause between. */
export async function writeFrame(exchange: FakeExchange, frame: string, options: FakeStreamOptions): Promise<void> {
  if (exchange.closed()) return;
  if (options.fragmentWrites === true && frame.length > 1) {
    const middle = Math.floor(frame.length / 2);
    exchange.response.write(frame.slice(0, middle));
    await sleep(2);
    if (exchange.closed()) return;
    exchange.response.write(frame.slice(middle));
    return;
  }
  exchange.response.write(frame);
}

/** Words with their trailing whitespace, grouped into at most `count` pieces that concatenate to `text`. */
export function splitAnswer(text: string, count: number | undefined): string[] {
  const words = text.match(/\s*\S+\s*|\s+/g) ?? [];
  if (count === undefined || count <= 0 || count >= words.length) return words;
  const size = Math.ceil(words.length / count);
  const pieces: string[] = [];
  for (let start = 0; start < words.length; start += size) pieces.push(words.slice(start, start + size).join(''));
  return pieces;
}

export function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

interface LooseMessage {
  role?: unknown;
  content?: unknown;
}

export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part): part is { type: 'text'; text: string } => part?.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

export function lastUserMessageText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index] as LooseMessage | undefined;
    if (message?.role === 'user') return messageText(message.content);
  }
  return '';
}

export function promptWordCount(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  return messages.reduce((sum: number, message: LooseMessage) => sum + countWords(messageText(message?.content)), 0);
}

/** Cuts an answer to `limit` words, as a model does when it hits max tokens. */
export function limitAnswer(text: string, limit: unknown): { text: string; truncated: boolean } {
  if (typeof limit !== 'number' || limit < 0) return { text, truncated: false };
  const words = text.match(/\s*\S+\s*|\s+/g) ?? [];
  if (countWords(text) <= limit) return { text, truncated: false };
  return { text: words.slice(0, limit).join('').trimEnd(), truncated: true };
}
