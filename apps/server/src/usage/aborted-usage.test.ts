import { createUsageRepository } from '@switchyard/db';
import { eventually, startFakeOpenAI } from '@switchyard/testkit';
import { expect, it } from 'vitest';
import { startTestServer } from '../testing/test-server';

it('writes a 499 usage row for a request whose client left before the answer', async () => {
  const upstream = await startFakeOpenAI();
  // The answer never comes: only the client leaving ends the request.
  upstream.setBehaviour({ kind: 'hang' });
  const server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'slow', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'slow', provider: 'slow', upstreamModel: 'gpt-4o-mini' }],
    },
  });
  try {
    const key = await server.createKey('dev');
    const controller = new AbortController();
    const sentAt = Date.now();
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'never mind' }] }),
      signal: controller.signal,
    }).catch(() => null);
    // Leave once the request has reached the model, not after a guessed time.
    await eventually(() => expect(upstream.requests).toHaveLength(1));
    controller.abort();
    await pending;
    const rows = await eventually(async () => {
      await server.parts.usage.flush();
      const listed = await createUsageRepository(server.parts.databases.dev.db).list({ environment: 'dev' });
      expect(listed).toHaveLength(1);
      return listed;
    });
    const sawPass = Date.now() - sentAt;
    expect(rows[0]).toMatchObject({ status: 499, model: 'slow', route: '/v1/chat/completions' });
    // Measured up to the hang-up: more than nothing, within the time this test saw pass.
    expect(rows[0]?.latencyMs).toBeGreaterThan(0);
    expect(rows[0]?.latencyMs).toBeLessThanOrEqual(sawPass);
    // The cancelled upstream call is the client's doing: one info line, no error with a stack.
    await eventually(() =>
      expect(server.logs.some((line) => line.msg === 'client disconnected before the answer')).toBe(true),
    );
    expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  } finally {
    await server.destroy();
    await upstream.close();
  }
});

it('records a request made in process (app.inject) once, with its status, not also as a client that left', async () => {
  const server = await startTestServer({ config: { ollama: { autodetect: false } } });
  try {
    const response = await server.app.inject({ method: 'GET', url: '/api/me' });
    expect(response.statusCode).toBe(401);
    const lines = await eventually(() => {
      const found = server.logs.filter((line) => line.route === '/api/me');
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    // The close that follows the in-process response is not a client leaving.
    const closed = await server.app.inject({ method: 'GET', url: '/health' });
    expect(closed.statusCode).toBe(200);
    expect(lines.map((line) => line.status)).toEqual([401]);
    expect(server.logs.filter((line) => line.status === 499)).toEqual([]);
  } finally {
    await server.destroy();
  }
});
