import { createServer } from 'node:net';
import { isSwitchyardError, type SwitchyardError } from '@switchyard/core';
import type { ChatCompletionChunk } from '@switchyard/providers';
import { afterEach } from 'vitest';

/** Every chunk of a stream, in order. */
export async function collectChunks(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The text content of streamed chunks joined. */
export function streamedText(chunks: readonly ChatCompletionChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

/** The SwitchyardError a promise rejects with; throws when it resolves or rejects with anything else. */
export async function switchyardFailure(promise: Promise<unknown>): Promise<SwitchyardError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isSwitchyardError(error)) throw new Error(`expected a SwitchyardError, got ${String(error)}`);
  return error;
}

/** A URL on 127.0.0.1 whose port was just free and is closed again: connections to it are refused. */
export async function closedPortUrl(path = ''): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}${path}`;
}

/**
 * Registers an afterEach that closes, newest first, whatever the returned function was given
 * during the test (fake servers, adapters). Call once at the top of a test file.
 */
export function closeAfterEach(): <T extends { close(): Promise<void> }>(item: T) => T {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });
  return (item) => {
    opened.push(item);
    return item;
  };
}
