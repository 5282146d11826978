export interface SseEvent {
  event: string;
  data: string;
  /** The event's `id:` field, when it has one (what a reconnect sends back as Last-Event-ID). */
  id?: string;
}

/** Incremental parser for text/event-stream: feed it chunks, get complete events back. */
export class SseParser {
  private buffer = '';
  /** A trailing CR is held back: it may be the first half of a CRLF split between chunks. */
  private pendingCr = false;

  push(chunk: string): SseEvent[] {
    let text = (this.pendingCr ? '\r' : '') + chunk;
    this.pendingCr = text.endsWith('\r');
    if (this.pendingCr) text = text.slice(0, -1);
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let boundary = this.buffer.indexOf('\n\n');
    while (boundary !== -1) {
      const block = this.buffer.slice(0, boundary);
      this.buffer = this.buffer.slice(boundary + 2);
      const parsed = parseBlock(block);
      if (parsed) events.push(parsed);
      boundary = this.buffer.indexOf('\n\n');
    }
    return events;
  }

  /** Whatever is left when the stream ends (a final event without its blank line). */
  flush(): SseEvent[] {
    const rest = this.buffer + (this.pendingCr ? '\n' : '');
    this.pendingCr = false;
    this.buffer = '';
    const parsed = rest.trim() ? parseBlock(rest) : null;
    return parsed ? [parsed] : [];
  }
}

function parseBlock(block: string): SseEvent | null {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  }
  if (data.length === 0 && event === 'message') return null;
  return id === undefined ? { event, data: data.join('\n') } : { event, data: data.join('\n'), id };
}

/**
 * Reads a fetch body as SSE events until it ends (a dropped connection makes the reader throw).
 * `discardPartial`: an event cut off before its blank line is dropped, as the SSE spec says; a
 * resumable stream wants that, because the server sends that event again after Last-Event-ID.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  options: { discardPartial?: boolean } = {},
): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* parser.push(decoder.decode());
    if (!options.discardPartial) yield* parser.flush();
  } finally {
    // A consumer that stops early (after `done`) closes the connection instead of leaving it open.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
