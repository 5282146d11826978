import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../composition/app';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.destroy());

describe('route validators and serializers compiled on first use', () => {
  it('every route schema compiles (what a lazy start would otherwise only find on a first request)', async () => {
    const built = await buildApp(server.parts);
    await built.app.ready();
    const compiled = built.compilePendingSchemas();
    expect(compiled).toBeGreaterThan(50);
    expect(built.compilePendingSchemas()).toBe(0);
    await built.app.close();
  });

  it('still refuses bad input with the validator message, and serializes by the response schema', async () => {
    const key = await server.createKey('dev');
    const bad = await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'echo', message: 42 }),
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SY_ERR_VALIDATION');
    expect(body.error.message).toMatch(/message/);
    // The status route answers through its response serializer, compiled on this first call.
    const status = (await (
      await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as Record<string, unknown>;
    expect(status.environment).toBe('dev');
  });
});
