import { StringDecoder } from 'node:string_decoder';
import { type UpstreamErrorContext, upstreamProtocolError } from './errors';

/**
 * The one reader for streamed upstream answers: server-sent events (OpenAI,
 * Anthropic, Gemini) and newline-delimited JSON (Ollama). It decodes the bytes,
 * frames messages, and owns how a stream ends: after the adapter has seen its
 * protocol's end marker the rest of the body is read and dropped (so the
 * keep-alive connection goes back to the pool), and a body that ends or breaks
 * before it is a retryable upstream error, because a truncated answer must not
 * pass for a complete one.
 *
 * Messages come in batches, one per piece of the body that completed at least
 * one, rather than one async step each: the framing is synchronous, and an
 * extra async layer per chunk costs measurably on the streaming hot path.
 */

/** One server-sent event: its `event:` name (undefined when it had none) and its `data:` lines joined by `\n`. */
export interface ServerSentEvent {
  event: string | undefined;
  data: string;
}

export interface StreamReaderOptions {
  context: UpstreamErrorContext;
  /** The protocol's end as the error for a cut stream names it: "ended the stream before <endMarker>". */
  endMarker: string;
}

/**
 * The messages of one upstream body. Each step yields the messages that have
 * arrived since the last one; the array is reused, so read it before the next.
 */
export interface UpstreamStream<Message> extends AsyncIterableIterator<readonly Message[]> {
  /**
   * The end marker arrived: the answer is complete and no further message is
   * wanted. The next step reads the rest of the body, drops it and finishes.
   */
  end(): void;
  /**
   * The answer is complete, yet messages may still follow (Gemini sends usage
   * after its finish reason): they keep coming, and the body ending or
   * breaking from here on is not an error.
   */
  complete(): void;
}

/** Turns decoded text into messages; text arrives in arbitrary pieces, so a line may span several. */
interface Framer<Message> {
  push(text: string, batch: Message[]): void;
  /** The body has ended; whatever is left unterminated is dealt with by the protocol's rules. */
  flush(batch: Message[]): void;
}

const lineFeed = 10;
const carriageReturn = 13;
const space = 32;
const tab = 9;
const colon = 58;
const byteOrderMark = 0xfeff;

/** Server-sent events as the WHATWG spec frames them: LF, CRLF or CR line ends, comments, multi-line data. */
export function readServerSentEvents(
  source: AsyncIterable<Uint8Array>,
  options: StreamReaderOptions,
): UpstreamStream<ServerSentEvent> {
  return createStreamReader(source, options, createEventFramer());
}

/** Newline-delimited JSON: one message per non-blank line; a last line without its newline still counts. */
export function readJsonLines(source: AsyncIterable<Uint8Array>, options: StreamReaderOptions): UpstreamStream<string> {
  return createStreamReader(source, options, createLineFramer());
}

function createStreamReader<Message>(
  source: AsyncIterable<Uint8Array>,
  options: StreamReaderOptions,
  framer: Framer<Message>,
): UpstreamStream<Message> {
  const iterator = source[Symbol.asyncIterator]();
  // Node's StringDecoder rather than TextDecoder: it keeps a character split between pieces just the same, in
  // about two thirds of the time per piece.
  const decoder = new StringDecoder('utf8');
  let atStart = true;
  const batch: Message[] = [];
  // Both results are reused: every step would otherwise allocate one.
  const ready: IteratorYieldResult<readonly Message[]> = { done: false, value: batch };
  const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };
  let ended = false;
  let complete = false;
  let sourceDone = false;
  let closed = false;

  /** Reads the rest of the body so the connection can be reused; the answer is complete, so a failure here is nobody's. */
  async function drain(): Promise<void> {
    try {
      while (!(await iterator.next()).done) {
        // dropped unread
      }
    } catch {
      // The connection is lost either way; the pool opens another.
    }
  }

  async function next(): Promise<IteratorResult<readonly Message[], undefined>> {
    batch.length = 0;
    if (closed) return finished;
    if (ended) {
      closed = true;
      if (!sourceDone) await drain();
      return finished;
    }
    while (true) {
      if (sourceDone) {
        closed = true;
        if (complete) return finished;
        throw upstreamProtocolError(options.context, `ended the stream before ${options.endMarker}`);
      }
      let step: IteratorResult<Uint8Array>;
      try {
        step = await iterator.next();
      } catch (error) {
        closed = true;
        if (complete) return finished;
        throw error;
      }
      let text = step.done ? decoder.end() : decoder.write(step.value);
      if (text !== '') {
        if (atStart) {
          atStart = false;
          // Both formats ignore a byte order mark, which TextDecoder would have dropped.
          if (text.charCodeAt(0) === byteOrderMark) text = text.slice(1);
        }
        if (text !== '') framer.push(text, batch);
      }
      if (step.done) {
        sourceDone = true;
        framer.flush(batch);
      }
      if (batch.length > 0) return ready;
    }
  }

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next,
    async return() {
      batch.length = 0;
      if (closed) return finished;
      closed = true;
      if (sourceDone) return finished;
      // Left after the end marker: keep the connection. Left early (the caller went away, a message failed to
      // translate): tear the request down so the upstream stops generating for nobody.
      if (ended) await drain();
      else await iterator.return?.();
      return finished;
    },
    end() {
      ended = true;
      complete = true;
    },
    complete() {
      complete = true;
    },
  };
}

/** `data:` at `start`, compared in place: slicing every line first would cost an allocation each. */
function isDataField(text: string, start: number): boolean {
  return (
    text.charCodeAt(start) === 100 &&
    text.charCodeAt(start + 1) === 97 &&
    text.charCodeAt(start + 2) === 116 &&
    text.charCodeAt(start + 3) === 97 &&
    text.charCodeAt(start + 4) === colon
  );
}

function createEventFramer(): Framer<ServerSentEvent> {
  /** An unterminated line carried over to the next piece. */
  let pending = '';
  /** The last piece ended in CR: an LF opening the next one belongs to the same CRLF. */
  let skipLineFeed = false;
  let event: string | undefined;
  let data = '';
  let dataLines = 0;

  function appendData(value: string): void {
    data = dataLines === 0 ? value : `${data}\n${value}`;
    dataLines += 1;
  }

  function dispatch(batch: ServerSentEvent[]): void {
    // An event without data lines is not dispatched, as in browsers.
    if (dataLines > 0) batch.push({ event, data });
    event = undefined;
    data = '';
    dataLines = 0;
  }

  /** Any line but a data line: a blank line, a comment, `event:` or a field that means nothing here. */
  function otherLine(text: string, start: number, end: number, batch: ServerSentEvent[]): void {
    if (start === end) {
      dispatch(batch);
      return;
    }
    // A comment (`: keep-alive`).
    if (text.charCodeAt(start) === colon) return;
    const whole = text.slice(start, end);
    const separator = whole.indexOf(':');
    const field = separator === -1 ? whole : whole.slice(0, separator);
    const value =
      separator === -1 ? '' : whole.slice(whole.charCodeAt(separator + 1) === space ? separator + 2 : separator + 1);
    if (field === 'data') appendData(value);
    else if (field === 'event') event = value === '' ? undefined : value;
    // `id`, `retry` and unknown fields mean nothing for an answer that is read once.
  }

  return {
    push(piece, batch) {
      let text = piece;
      let start = 0;
      if (skipLineFeed) {
        skipLineFeed = false;
        if (text.charCodeAt(0) === lineFeed) start = 1;
      } else if (pending !== '') {
        text = pending + piece;
        pending = '';
      }
      let nextReturn = text.indexOf('\r', start);
      while (start < text.length) {
        if (nextReturn !== -1 && nextReturn < start) nextReturn = text.indexOf('\r', start);
        let end = text.indexOf('\n', start);
        if (nextReturn !== -1 && (end === -1 || nextReturn < end)) end = nextReturn;
        if (end === -1) break;
        if (isDataField(text, start)) {
          const value = text.slice(text.charCodeAt(start + 5) === space ? start + 6 : start + 5, end);
          if (dataLines === 0 && end !== nextReturn && text.charCodeAt(end + 1) === lineFeed) {
            // The usual event, one data line and its blank line, is handed out at once.
            batch.push({ event, data: value });
            event = undefined;
            start = end + 2;
            continue;
          }
          appendData(value);
        } else {
          otherLine(text, start, end, batch);
        }
        start = end + 1;
        if (end === nextReturn) {
          if (start === text.length) skipLineFeed = true;
          else if (text.charCodeAt(start) === lineFeed) start += 1;
        }
      }
      if (start < text.length) pending = start === 0 ? text : text.slice(start);
    },
    flush() {
      // The spec drops an event the body ended in the middle of: without its blank line it may be incomplete.
      pending = '';
    },
  };
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) {
    const code = text.charCodeAt(index);
    if (code !== space && code !== tab && code !== carriageReturn && code !== lineFeed) return false;
  }
  return true;
}

function createLineFramer(): Framer<string> {
  let pending = '';
  return {
    push(piece, batch) {
      const text = pending === '' ? piece : pending + piece;
      pending = '';
      let start = 0;
      let end = text.indexOf('\n');
      while (end !== -1) {
        const lineEnd = end > start && text.charCodeAt(end - 1) === carriageReturn ? end - 1 : end;
        if (!isBlank(text, start, lineEnd)) batch.push(text.slice(start, lineEnd));
        start = end + 1;
        end = text.indexOf('\n', start);
      }
      if (start < text.length) pending = start === 0 ? text : text.slice(start);
    },
    flush(batch) {
      // Servers may close without a newline after the last line; it is whole, since the body ended cleanly.
      if (!isBlank(pending, 0, pending.length)) batch.push(pending);
      pending = '';
    },
  };
}
