import type { ServerResponse } from 'node:http';
import type { EdgeReply } from './edge-request';

export const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx buffer responses unless told not to; SSE must not be buffered.
  'x-accel-buffering': 'no',
} as const;

/** One server-sent event; `id` lets a client resume with Last-Event-ID. */
export function sseEvent(event: string, data: unknown, id?: number | string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function gone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}

/** Resolves when the socket can take more, or when the client has gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes frames as the source yields them, straight to the socket (no
 * Readable.from over an async generator, no stream piping in between: that
 * cost several microseconds and a few promises per chunk). The source has
 * already started (see startChatStream), so failures before the first token
 * were proper HTTP errors; a failure after it ends the stream with the error
 * frame. Headers set on the reply (environment, rate limit, model, cache) are
 * sent with the first frame; Fastify's onResponse hooks still run when the
 * response finishes.
 */
export function sendEventStream<T, R extends EdgeReply>(
  reply: R,
  source: AsyncIterable<T>,
  frames: {
    frame(item: T): string | null;
    end(): string;
    error(error: unknown): string;
  },
  /** Another streamed media type with the same framing rules (Ollama's NDJSON). */
  contentType?: string,
): R {
  const res = reply.raw;
  reply.request.streaming = true;
  const headers = { ...reply.getHeaders(), ...sseHeaders, ...(contentType ? { 'content-type': contentType } : {}) };
  reply.hijack();
  res.writeHead(reply.statusCode, headers as Record<string, string>);
  void pump(res, source[Symbol.asyncIterator](), frames);
  return reply;
}

async function pump<T>(
  res: ServerResponse,
  iterator: AsyncIterator<T>,
  frames: {
    frame(item: T): string | null;
    end(): string;
    error(error: unknown): string;
  },
): Promise<void> {
  let tail: string | null = null;
  let finished = false;
  // Frames produced in the same tick (several upstream events arrived in one read) leave in one
  // writev instead of one syscall each: cork on the first write, uncork when the tick is over.
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const write = (text: string): boolean => {
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    return res.write(text);
  };
  try {
    while (true) {
      const step = await iterator.next();
      if (step.done) {
        finished = true;
        break;
      }
      if (gone(res)) break;
      const text = frames.frame(step.value);
      if (text && !write(text) && !gone(res)) await drained(res);
    }
    if (finished && !gone(res)) tail = frames.end();
  } catch (error) {
    finished = true;
    // A client that left made the upstream call abort: nobody is there to read an error frame.
    if (!gone(res)) tail = frames.error(error);
  } finally {
    if (!finished) {
      // The client left mid-stream: stop the source so the upstream request is torn down.
      await Promise.resolve(iterator.return?.()).catch(() => {});
    }
  }
  if (!gone(res)) res.end(tail ?? undefined);
}
