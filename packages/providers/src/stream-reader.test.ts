import { isSwitchyardError, type SwitchyardError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import {
  readJsonLines,
  readServerSentEvents,
  type ServerSentEvent,
  type StreamReaderOptions,
  type UpstreamStream,
} from './stream-reader';

const options: StreamReaderOptions = { context: { providerId: 'upstream' }, endMarker: '[DONE]' };
const encoder = new TextEncoder();

/** A body that records how far it was read and whether it was torn down. */
function createBody(pieces: Array<Uint8Array | Error>) {
  const state = { read: 0, returned: false };
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      return {
        async next() {
          const piece = pieces[state.read];
          if (piece === undefined) return { done: true, value: undefined };
          state.read += 1;
          if (piece instanceof Error) throw piece;
          return { done: false, value: piece };
        },
        async return() {
          state.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { body, state };
}

/** The bytes of `text` cut at every given byte offset. */
function splitAt(text: string, offsets: number[]): Uint8Array[] {
  const bytes = encoder.encode(text);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    pieces.push(bytes.subarray(start, offset));
    start = offset;
  }
  return pieces;
}

/** Every message, copied out of the reused batches, until the stream finishes or `isEnd` says so. */
async function collect<Message>(stream: UpstreamStream<Message>, isEnd: (message: Message) => boolean = () => false) {
  const messages: Message[] = [];
  for await (const batch of stream) {
    for (const message of batch) {
      messages.push(message);
      if (isEnd(message)) {
        stream.end();
        break;
      }
    }
  }
  return messages;
}

async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await promise;
  } catch (error) {
    if (isSwitchyardError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const isDone = (event: ServerSentEvent) => event.data === '[DONE]';

describe('server-sent events', () => {
  const stream =
    ': keep-alive comment\n' +
    'data: {"text":"zürich 🚂"}\n\n' +
    'event: message_delta\r\n' +
    'data: first line\r\n' +
    'data:second line\r\n' +
    'id: 7\r\n' +
    'retry: 1000\r\n' +
    '\r\n' +
    'event: lonely\n\n' +
    'data\n\n' +
    'data: carriage\rdata: return\r\r' +
    'data: [DONE]\n\n';
  const expected: ServerSentEvent[] = [
    { event: undefined, data: '{"text":"zürich 🚂"}' },
    { event: 'message_delta', data: 'first line\nsecond line' },
    { event: undefined, data: '' },
    { event: undefined, data: 'carriage\nreturn' },
    { event: undefined, data: '[DONE]' },
  ];

  it('reads data lines, event names, multi-line data, comments and every line ending', async () => {
    const { body } = createBody(splitAt(stream, []));
    expect(await collect(readServerSentEvents(body, options), isDone)).toEqual(expected);
  });

  it('gives the same events however the bytes are split, inside a UTF-8 character or a CRLF included', async () => {
    const length = encoder.encode(stream).length;
    for (let offset = 1; offset < length; offset += 1) {
      const { body } = createBody(splitAt(stream, [offset]));
      expect(await collect(readServerSentEvents(body, options), isDone), `split at byte ${offset}`).toEqual(expected);
    }
    const everyByte = Array.from({ length: length - 1 }, (_, index) => index + 1);
    const { body } = createBody(splitAt(stream, everyByte));
    expect(await collect(readServerSentEvents(body, options), isDone), 'one byte at a time').toEqual(expected);
  });

  it('drains what follows the end marker without handing it out, and never tears the body down', async () => {
    const { body, state } = createBody([
      encoder.encode('data: one\n\ndata: [DONE]\n\ndata: after\n\n'),
      encoder.encode('data: more after\n\n'),
      encoder.encode(': trailing bytes'),
    ]);
    expect(await collect(readServerSentEvents(body, options), isDone)).toEqual([
      { event: undefined, data: 'one' },
      { event: undefined, data: '[DONE]' },
    ]);
    expect(state.read).toBe(3);
    expect(state.returned).toBe(false);
  });

  it('drains when the caller leaves the loop right after ending the stream', async () => {
    const { body, state } = createBody([encoder.encode('data: [DONE]\n\n'), encoder.encode('data: after\n\n')]);
    const reader = readServerSentEvents(body, options);
    for await (const _events of reader) {
      reader.end();
      break;
    }
    expect(state.read).toBe(2);
    expect(state.returned).toBe(false);
  });

  it('ignores a failure of the body after the end marker', async () => {
    const { body } = createBody([encoder.encode('data: [DONE]\n\n'), new Error('socket hang up')]);
    expect(await collect(readServerSentEvents(body, options), isDone)).toHaveLength(1);
  });

  it('throws a retryable upstream error when the body ends before the end marker', async () => {
    const { body } = createBody([encoder.encode('data: one\n\ndata: [DONE]')]);
    const received: ServerSentEvent[] = [];
    const error = await failure(collect(readServerSentEvents(body, options), (event) => received.push(event) < 0));
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: true });
    expect(error.message).toBe('Upstream upstream ended the stream before [DONE]');
    // An event the body ends inside of is dropped, as the spec says: it may be incomplete.
    expect(received).toEqual([{ event: undefined, data: 'one' }]);
  });

  it('passes on a failure of the body before the end marker', async () => {
    const broken = new Error('socket hang up');
    const { body } = createBody([encoder.encode('data: one\n\n'), broken]);
    await expect(collect(readServerSentEvents(body, options), isDone)).rejects.toBe(broken);
  });

  it('tears the body down when the caller leaves before the end marker', async () => {
    const { body, state } = createBody([encoder.encode('data: one\n\n'), encoder.encode('data: two\n\n')]);
    for await (const _events of readServerSentEvents(body, options)) break;
    expect(state.read).toBe(1);
    expect(state.returned).toBe(true);
  });

  it('after complete(), keeps handing out events and treats the end or a break of the body as normal', async () => {
    const { body } = createBody([encoder.encode('data: finish\n\ndata: usage\n\n'), new Error('reset')]);
    const reader = readServerSentEvents(body, { ...options, endMarker: 'a finish reason' });
    const events: string[] = [];
    for await (const batch of reader) {
      for (const event of batch) {
        events.push(event.data);
        reader.complete();
      }
    }
    expect(events).toEqual(['finish', 'usage']);
  });

  it('reuses one batch array between steps', async () => {
    const { body } = createBody([encoder.encode('data: one\n\n'), encoder.encode('data: two\n\n')]);
    const batches: Array<readonly ServerSentEvent[]> = [];
    const reader = readServerSentEvents(body, options);
    for await (const batch of reader) {
      batches.push(batch);
      if (batch[0]?.data === 'two') reader.end();
    }
    expect(batches[0]).toBe(batches[1]);
  });
});

describe('newline-delimited JSON', () => {
  // A byte order mark first, which neither format keeps.
  const lines = '\ufeff{"n":1,"text":"é"}\n\n  \r\n{"n":2}\r\n{"n":3,"done":true}';
  const expected = ['{"n":1,"text":"é"}', '{"n":2}', '{"n":3,"done":true}'];
  const isFinal = (line: string) => line.includes('"done":true');
  const ndjsonOptions = { ...options, endMarker: 'its final line' };

  it('reads one message per non-blank line, the last one even without its newline', async () => {
    const length = encoder.encode(lines).length;
    for (let offset = 1; offset < length; offset += 1) {
      const { body } = createBody(splitAt(lines, [offset]));
      expect(await collect(readJsonLines(body, ndjsonOptions), isFinal), `split at byte ${offset}`).toEqual(expected);
    }
  });

  it('drains what follows the final line', async () => {
    const { body, state } = createBody([encoder.encode('{"done":true}\n{"late":1}\n'), encoder.encode('\n')]);
    expect(await collect(readJsonLines(body, ndjsonOptions), isFinal)).toEqual(['{"done":true}']);
    expect(state.read).toBe(2);
    expect(state.returned).toBe(false);
  });

  it('throws a retryable upstream error when the body ends before the final line', async () => {
    const { body } = createBody([encoder.encode('{"n":1}\n{"n":2,"partial"')]);
    const received: string[] = [];
    const error = await failure(collect(readJsonLines(body, ndjsonOptions), (line) => received.push(line) < 0));
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', isRetryable: true });
    expect(error.message).toBe('Upstream upstream ended the stream before its final line');
    // The unterminated last piece is still handed out: only the adapter can tell that it is cut.
    expect(received).toEqual(['{"n":1}', '{"n":2,"partial"']);
  });
});
