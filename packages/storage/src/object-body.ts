import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { SwitchyardError } from '@switchyard/core';
import type { ObjectBody } from './object-store';

export function isByteArray(body: ObjectBody): body is Uint8Array {
  return body instanceof Uint8Array;
}

export function toNodeReadable(body: NodeJS.ReadableStream | ReadableStream): Readable {
  if (body instanceof Readable) return body;
  if ('getReader' in body) return Readable.fromWeb(body as WebReadableStream);
  return new Readable().wrap(body);
}

export function chunkToBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new SwitchyardError('SY_ERR_VALIDATION', 'object body streams must yield bytes or strings');
}

/** Collects a stream into memory, refusing (and stopping the stream) once it grows past `maxBytes`. */
export async function readToBuffer(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunkToBuffer(chunk);
    size += bytes.length;
    if (size > maxBytes) {
      stream.destroy();
      throw new SwitchyardError(
        'SY_ERR_PAYLOAD_TOO_LARGE',
        `object body streams may be at most ${maxBytes} bytes for this storage backend`,
      );
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}
