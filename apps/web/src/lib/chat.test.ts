import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { followSession } from './chat';

/** A session's events as the server frames them (sseEvent: id, event, data). */
function frames(deltas: string[], done: Record<string, unknown> = { status: 'complete' }): string[] {
  const events = [
    ['start', { sessionId: 's1', chatId: 'c1', messageId: 'm1', model: 'echo' }],
    ...deltas.map((content) => ['delta', { content }] as const),
    ['done', { messageId: 'm1', finish_reason: 'stop', usage: null, ...done }],
  ] as const;
  return events.map(([event, data], index) => `id: ${index + 1}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A body that sends `text` in small chunks, then either ends or fails like a dropped connection. */
function body(text: string, end: 'close' | 'error'): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        if (end === 'error') controller.error(new TypeError('network error'));
        else controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + 7));
      offset += 7;
    },
  });
}

interface Call {
  url: string;
  lastEventId: string | null;
}

/**
 * A fake /api/chat/stream: connection n serves the events after Last-Event-ID (or, with `replayFrom`,
 * deliberately from an earlier event) and is cut `cut[n]` characters into what it sends.
 */
function fakeServer(all: string[], cuts: Array<number | null>, options: { replayFrom?: number } = {}) {
  const calls: Call[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const lastEventId = headers.get('last-event-id');
    calls.push({ url: String(input), lastEventId });
    const after = lastEventId === null ? 0 : Number(lastEventId);
    const from = calls.length > 1 && options.replayFrom !== undefined ? options.replayFrom : after;
    const text = all.slice(from).join('');
    const cut = cuts[calls.length - 1] ?? null;
    return new Response(body(cut === null ? text : text.slice(0, cut), cut === null ? 'close' : 'error'), {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    });
  }) as typeof fetch;
  return { calls, fetcher };
}

const words = Array.from({ length: 30 }, (_, i) => `w${i} `);

describe('followSession (resumable answer stream)', () => {
  it('reads the answer and the done status in one connection', async () => {
    const server = fakeServer(frames(words), [null]);
    let text = '';
    const result = await followSession('s1', { onDelta: (d) => (text += d) }, { fetch: server.fetcher });
    expect(text).toBe(words.join(''));
    expect(result).toMatchObject({ status: 'complete', messageId: 'm1', finishReason: 'stop', error: null });
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.url).toBe('/api/chat/stream?sessionId=s1');
  });

  it('reconnects with Last-Event-ID after the connection drops mid-event, losing and repeating nothing', async () => {
    const all = frames(words);
    // Cut inside the 11th event (id 11) the first time, inside a later one the second time.
    const firstCut = all.slice(0, 10).join('').length + 12;
    const secondCut = all.slice(10, 20).join('').length + 5;
    const server = fakeServer(all, [firstCut, secondCut, null]);
    let text = '';
    const reconnects: Array<[number, number]> = [];
    const resumed: number[] = [];
    const result = await followSession(
      's1',
      {
        onDelta: (d) => (text += d),
        onReconnect: (attempt, last) => reconnects.push([attempt, last]),
        onResumed: (last) => resumed.push(last),
      },
      { fetch: server.fetcher, retryDelayMs: 1 },
    );
    expect(text).toBe(words.join(''));
    expect(result.status).toBe('complete');
    expect(server.calls.map((call) => call.lastEventId)).toEqual([null, '10', '20']);
    expect(reconnects).toEqual([
      [1, 10],
      [1, 20],
    ]);
    expect(resumed).toEqual([10, 20]);
  });

  it('skips events it already has when a replay overlaps', async () => {
    const all = frames(words);
    const server = fakeServer(all, [all.slice(0, 15).join('').length, null], { replayFrom: 3 });
    let text = '';
    await followSession('s1', { onDelta: (d) => (text += d) }, { fetch: server.fetcher, retryDelayMs: 1 });
    expect(text).toBe(words.join(''));
  });

  it('resumes when the body ends cleanly before done (a proxy closing the connection)', async () => {
    const all = frames(['a', 'b', 'c']);
    const calls: Array<string | null> = [];
    let n = 0;
    const fetcher = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      const last = new Headers(init?.headers).get('last-event-id');
      calls.push(last);
      n++;
      const text = n === 1 ? all.slice(0, 3).join('') : all.slice(Number(last)).join('');
      return new Response(body(text, 'close'));
    }) as typeof fetch;
    let text = '';
    await followSession('s1', { onDelta: (d) => (text += d) }, { fetch: fetcher, retryDelayMs: 1 });
    expect(text).toBe('abc');
    expect(calls).toEqual([null, '3']);
  });

  it('reports a stopped answer with the text so far, and a model error', async () => {
    const stopped = fakeServer(frames(['par', 'tial'], { status: 'stopped', finish_reason: 'stopped' }), [null]);
    let text = '';
    const result = await followSession('s1', { onDelta: (d) => (text += d) }, { fetch: stopped.fetcher });
    expect(text).toBe('partial');
    expect(result).toMatchObject({ status: 'stopped', finishReason: 'stopped' });

    const failing = [
      'id: 1\nevent: start\ndata: {}\n\n',
      'id: 2\nevent: error\ndata: {"error":{"code":"SY_ERR_UPSTREAM","message":"model down"}}\n\n',
      'id: 3\nevent: done\ndata: {"status":"failed","finish_reason":"error"}\n\n',
    ];
    const failed = await followSession('s1', { onDelta: () => {} }, { fetch: fakeServer(failing, [null]).fetcher });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'SY_ERR_UPSTREAM', message: 'model down' } });
  });

  it('does not retry an unknown session, retries a 503, and gives up after maxAttempts', async () => {
    const notFound = (async () =>
      new Response(JSON.stringify({ error: { code: 'SY_ERR_NOT_FOUND', message: 'No such chat session' } }), {
        status: 404,
      })) as unknown as typeof fetch;
    await expect(followSession('s1', { onDelta: () => {} }, { fetch: notFound })).rejects.toBeInstanceOf(ApiError);

    let calls = 0;
    const flaky = (async () => {
      calls++;
      if (calls < 3) return new Response('busy', { status: 503 });
      return new Response(body(frames(['ok']).join(''), 'close'));
    }) as unknown as typeof fetch;
    let text = '';
    await followSession('s1', { onDelta: (d) => (text += d) }, { fetch: flaky, retryDelayMs: 1 });
    expect(text).toBe('ok');
    expect(calls).toBe(3);

    let attempts = 0;
    const down = (async () => {
      attempts++;
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    await expect(
      followSession('s1', { onDelta: () => {} }, { fetch: down, retryDelayMs: 1, maxAttempts: 3 }),
    ).rejects.toThrow(/kept disconnecting/);
    expect(attempts).toBe(4);
  });

  it('stops listening when the signal aborts, also while waiting to reconnect', async () => {
    const controller = new AbortController();
    const server = fakeServer(frames(words), [40, null]);
    const pending = followSession(
      's1',
      { onDelta: () => {}, onReconnect: () => controller.abort() },
      { fetch: server.fetcher, retryDelayMs: 10_000, signal: controller.signal },
    );
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.calls).toHaveLength(1);
  });

  it('hands tool_call and tool_result events to their handlers in order', async () => {
    const events = [
      ['start', { sessionId: 's1', chatId: 'c1', messageId: 'm1', model: 'smart' }],
      ['tool_call', { type: 'tool_call', id: 't1', app: 'clock', skill: 'add', input: { a: 1 } }],
      [
        'tool_result',
        { type: 'tool_result', id: 't1', app: 'clock', skill: 'add', output: '1', is_error: false, duration_ms: 3 },
      ],
      ['delta', { content: 'one' }],
      ['done', { messageId: 'm1', status: 'complete', finish_reason: 'stop', usage: null }],
    ] as const;
    const all = events.map(
      ([event, data], index) => `id: ${index + 1}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
    );
    const server = fakeServer(all, [null]);
    const seen: string[] = [];
    await followSession(
      's1',
      {
        onDelta: (text) => seen.push(`delta ${text}`),
        onToolCall: (call) => seen.push(`call ${call.app}/${call.skill} ${JSON.stringify(call.input)}`),
        onToolResult: (result) => seen.push(`result ${result.id} ${result.output} ${result.is_error}`),
      },
      { fetch: server.fetcher },
    );
    expect(seen).toEqual(['call clock/add {"a":1}', 'result t1 1 false', 'delta one']);
  });
});
