import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../composition/app';
import { startTestServer, type TestServer } from '../testing/test-server';
import { firstLoadRoutes } from '../web-app/first-load-routes';

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

  it("compiles the chat page's first-load routes ahead, once, and those are no longer left to a request", async () => {
    const built = await buildApp(server.parts);
    await built.app.ready();
    // Every listed route exists with a schema (a renamed route would otherwise be skipped unnoticed).
    const withSchemas = new Set(built.routeSchemas().map((entry) => `${entry.method} ${entry.url}`));
    expect(firstLoadRoutes.filter((route) => !withSchemas.has(route))).toEqual([]);
    const ahead = await built.compileAhead(firstLoadRoutes);
    expect(ahead).toBeGreaterThanOrEqual(firstLoadRoutes.length);
    expect(await built.compileAhead(firstLoadRoutes)).toBe(0);
    // A request to one of them serializes with what was built ahead.
    const key = await server.createKey('dev');
    const models = await built.app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(models.statusCode).toBe(200);
    expect(models.json()).toMatchObject({ object: 'list' });
    const rest = built.compilePendingSchemas();
    await built.app.close();
    // The same routes on a new app, none compiled ahead: the rest plus what was built ahead.
    const fresh = await buildApp(server.parts);
    await fresh.app.ready();
    expect(fresh.compilePendingSchemas()).toBe(rest + ahead);
    await fresh.app.close();
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
