import { describe, expect, it } from 'vitest';
import { readSse, SseParser } from './sse';

describe('SseParser', () => {
  it('parses start/delta/done events split across arbitrary chunks', () => {
    const text =
      'event: start\ndata: {"id":"c1","model":"echo"}\n\n' +
      'event: delta\ndata: {"content":"Hi"}\n\n' +
      ': keep-alive comment\n\n' +
      'event: delta\r\ndata: {"content":" there"}\r\n\r\n' +
      'event: done\ndata: {"finish_reason":"stop"}\n\n';
    for (const size of [1, 3, 7, text.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      events.push(...parser.flush());
      expect(events.map((event) => event.event)).toEqual(['start', 'delta', 'delta', 'done']);
      expect(JSON.parse(events[2]?.data ?? '')).toEqual({ content: ' there' });
    }
  });

  it('joins multi-line data, defaults the event name and flushes a trailing event', () => {
    const parser = new SseParser();
    expect(parser.push('data: a\ndata: b\n\ndata: [DONE]')).toEqual([{ event: 'message', data: 'a\nb' }]);
    expect(parser.flush()).toEqual([{ event: 'message', data: '[DONE]' }]);
  });

  it('reads a byte stream with multi-byte characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"content":"héllo ✓"}\n\nevent: error\ndata: {}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
        controller.close();
      },
    });
    const events = [];
    for await (const event of readSse(body)) events.push(event);
    expect(events).toEqual([
      { event: 'delta', data: '{"content":"héllo ✓"}' },
      { event: 'error', data: '{}' },
    ]);
  });
});

describe('SSE ids and cut-off events', () => {
  it('keeps the id of each event', () => {
    const parser = new SseParser();
    expect(parser.push('id: 7\nevent: delta\ndata: {"content":"a"}\n\nretry: 1000\n\n')).toEqual([
      { event: 'delta', data: '{"content":"a"}', id: '7' },
    ]);
  });

  it('drops an event cut off before its blank line when asked (the server sends it again on resume)', async () => {
    const text = 'id: 1\nevent: delta\ndata: {"content":"a"}\n\nid: 2\nevent: delta\ndata: {"content":"b"}\n';
    const read = async (discardPartial: boolean) => {
      const events = [];
      const body = new Response(text).body as ReadableStream<Uint8Array>;
      for await (const event of readSse(body, { discardPartial })) events.push(event.id);
      return events;
    };
    expect(await read(true)).toEqual(['1']);
    expect(await read(false)).toEqual(['1', '2']);
  });
});
