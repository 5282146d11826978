import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { sseHeaders } from './chat-execution';

/**
 * Starts the upstream stream before answering, so a failure before the first
 * chunk still becomes a proper HTTP error status; after that, frames are
 * written as they come and an error ends the stream with an error frame.
 */
export async function sendEventStream<T>(
  reply: FastifyReply,
  source: AsyncIterable<T>,
  frames: {
    frame(item: T): string | null;
    end(): string;
    error(error: unknown): string;
  },
): Promise<FastifyReply> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* body(): AsyncGenerator<string> {
    try {
      let current = first;
      while (!current.done) {
        const text = frames.frame(current.value);
        if (text) yield text;
        current = await iterator.next();
      }
      yield frames.end();
    } catch (error) {
      yield frames.error(error);
    } finally {
      // Stops the upstream when the client left early (the stream is destroyed, not drained).
      await iterator.return?.();
    }
  }
  reply.headers(sseHeaders);
  return reply.send(Readable.from(body(), { objectMode: false }));
}
