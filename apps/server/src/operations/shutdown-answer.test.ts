import { connect } from 'node:net';
import { startFakeOpenAI } from '@switchyard/testkit';
import { expect, it, vi } from 'vitest';
import { startTestServer } from '../testing/test-server';

/** A kept-alive HTTP/1.1 connection: requests are written when the test says, and everything read back. */
function keptAlive(url: string) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  const ended = new Promise<string>((resolve, reject) => {
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
  return { ended, send: (request: string) => socket.write(request) };
}

function post(path: string, key: string, body: unknown): string {
  const text = JSON.stringify(body);
  return [
    `POST ${path} HTTP/1.1`,
    'host: 127.0.0.1',
    `authorization: Bearer ${key}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(text)}`,
    '',
    text,
  ].join('\r\n');
}

it('answers a request that arrives during shutdown with SY_ERR_SHUTTING_DOWN and writes its usage row', async () => {
  const upstream = await startFakeOpenAI();
  let release = () => {};
  upstream.setBehaviour({ kind: 'hold', until: new Promise<void>((resolve) => (release = resolve)) });
  const server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'held', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'held', provider: 'held', upstreamModel: 'gpt-4o-mini' }],
    },
  });
  try {
    const key = await server.createKey('dev');
    const keyId = server.parts.keys.findByHash((await import('@switchyard/core')).hashApiKey(key))?.id;
    const recorded = vi.spyOn(server.parts.usage, 'record');
    const chat = { model: 'held', messages: [{ role: 'user', content: 'hi' }] };
    const connection = keptAlive(server.url);
    connection.send(post('/v1/chat/completions', key, chat));
    await vi.waitFor(() => expect(upstream.requests).toHaveLength(1), { timeout: 20_000, interval: 10 });
    // Shutdown begins while the first request is in flight, so the connection stays open; the next
    // request on it arrives during the drain.
    const closing = server.close();
    connection.send(post('/v1/chat', key, chat));
    await vi.waitFor(() => expect(server.logs.some((line) => line.code === 'SY_ERR_SHUTTING_DOWN')).toBe(true), {
      timeout: 20_000,
      interval: 10,
    });
    release();
    const received = await connection.ended;
    await closing;

    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(answers[0]).toContain('fake: hi');
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(answers[1]).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(answers[1]).toMatch(/\r\nconnection: close\r\n/i);
    expect(answers[1]).toMatch(/\r\nx-environment: dev\r\n/i);
    const body = JSON.parse(answers[1]?.slice((answers[1]?.indexOf('\r\n\r\n') ?? 0) + 4) ?? '');
    expect(body).toEqual({ error: { code: 'SY_ERR_SHUTTING_DOWN', message: expect.any(String) } });

    const rows = recorded.mock.calls.map(([row]) => row);
    expect(rows.map((row) => [row.route, row.status, row.apiKeyId])).toEqual([
      ['/v1/chat/completions', 200, keyId],
      ['/v1/chat', 503, keyId],
    ]);
    expect(upstream.requests).toHaveLength(1);
  } finally {
    await server.destroy();
    await upstream.close();
  }
  // A server start and a drain: on a loaded 2-core machine that alone can pass the default 30 s.
}, 90_000);
