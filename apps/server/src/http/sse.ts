import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { sseHeaders } from './chat-execution';

/** One server-sent event; `id` lets a client resume with Last-Event-ID. */
export function sseEvent(event: string, data: unknown, id?: number | string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Writes frames as the source yields them. The source has already started
 * (see startChatStream), so failures before the first token were proper HTTP
 * errors; a failure after it ends the stream with the error frame.
 */
export function sendEventStream<T>(
  reply: FastifyReply,
  source: AsyncIterable<T>,
  frames: {
    frame(item: T): string | null;
    end(): string;
    error(error: unknown): string;
  },
): FastifyReply {
  async function* body(): AsyncGenerator<string> {
    try {
      for await (const item of source) {
        const text = frames.frame(item);
        if (text) yield text;
      }
      yield frames.end();
    } catch (error) {
      yield frames.error(error);
    }
  }
  reply.headers(sseHeaders);
  return reply.send(Readable.from(body(), { objectMode: false }));
}
