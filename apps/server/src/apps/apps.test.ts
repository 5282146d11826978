import {
  closedPortUrl,
  type RunningMcpHttpServer,
  startTestMcpHttpServer,
  testMcpServerPath,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/** A port nothing listens on: an app there is down. */

describe('apps: MCP servers over stdio and Streamable HTTP, their skills called through the API', () => {
  let server: TestServer;
  let notes: RunningMcpHttpServer;
  let devKey: string;
  let prodKey: string;

  beforeAll(async () => {
    notes = await startTestMcpHttpServer();
    const stdio = { type: 'mcp', command: [process.execPath, testMcpServerPath] };
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        apps: [
          { id: 'clock', name: 'Clock', description: 'stdio test server', ...stdio, maxOutputBytes: 1000 },
          { id: 'notes', type: 'mcp', url: notes.url, timeoutMs: 1000 },
          { id: 'lab', ...stdio, environments: ['dev'] },
          { id: 'down', type: 'mcp', url: await closedPortUrl('/mcp'), timeoutMs: 5000 },
        ],
      },
    });
    devKey = await server.createKey('dev');
    prodKey = await server.createKey('prod');
  });
  afterAll(async () => {
    await server?.destroy();
    await notes?.close();
  });

  const call = (key: string, app: string, skill: string, input?: unknown) =>
    keyRequest(server.url, key, 'POST', `/v1/apps/${app}/skills/${skill}`, input === undefined ? {} : { input });

  it("lists the apps of the key's environment with their skills, and says which app is down", async () => {
    const dev = await readJson(await keyRequest(server.url, devKey, 'GET', '/v1/apps'));
    // The built-in apps (web, images, files) have their own tests.
    const configured = (apps: Json[]): Json[] => apps.filter((app) => app.kind !== 'builtin');
    const byId = Object.fromEntries(configured(dev.apps).map((app) => [app.id, app]));
    expect(Object.keys(byId).sort()).toEqual(['clock', 'down', 'lab', 'notes']);
    expect(byId.clock).toMatchObject({ name: 'Clock', kind: 'mcp', status: 'ok' });
    expect(byId.clock.skills.map((skill: { name: string }) => skill.name)).toEqual(
      expect.arrayContaining(['echo', 'add', 'slow', 'big', 'broken', 'grow']),
    );
    const echo = byId.clock.skills.find((skill: { name: string }) => skill.name === 'echo');
    expect(echo.input_schema).toMatchObject({ type: 'object', required: ['text'] });
    expect(byId.notes.status).toBe('ok');
    expect(byId.down.status).toBe('unavailable');
    expect(byId.down.error).toContain("App 'down' is unavailable");

    const prod = await readJson(await keyRequest(server.url, prodKey, 'GET', '/v1/apps'));
    expect(
      configured(prod.apps)
        .map((app: { id: string }) => app.id)
        .sort(),
    ).toEqual(['clock', 'down', 'notes']);
  });

  it('runs a skill over stdio and over Streamable HTTP', async () => {
    const echoed = await call(devKey, 'clock', 'echo', { text: 'hello' });
    expect(echoed.status).toBe(200);
    expect(await readJson(echoed)).toMatchObject({
      app: 'clock',
      skill: 'echo',
      output: 'echo: hello',
      is_error: false,
      truncated: false,
    });
    const added = await readJson(await call(prodKey, 'notes', 'add', { a: 2, b: 3 }));
    expect(added).toMatchObject({ app: 'notes', skill: 'add', output: '5', is_error: false });
  });

  it('checks the input against the skill schema before the app sees it: 400 naming the field', async () => {
    const wrongType = await call(devKey, 'notes', 'add', { a: 'two', b: 3 });
    expect(wrongType.status).toBe(400);
    expect((await readJson(wrongType)).error).toMatchObject({
      code: 'SY_ERR_VALIDATION',
      message: 'input.a must be number',
    });
    const missing = await call(devKey, 'clock', 'echo', {});
    expect((await readJson(missing)).error.message).toBe("input needs 'text'");
  });

  it('answers 404 with stable codes for an unknown app or skill, and for an app not enabled in the environment', async () => {
    expect((await readJson(await call(devKey, 'nope', 'echo'))).error.code).toBe('SY_ERR_APP_NOT_FOUND');
    expect((await readJson(await call(devKey, 'clock', 'nope'))).error.code).toBe('SY_ERR_SKILL_NOT_FOUND');
    const devOnly = await call(prodKey, 'lab', 'echo', { text: 'x' });
    expect(devOnly.status).toBe(404);
    expect((await readJson(devOnly)).error.code).toBe('SY_ERR_APP_NOT_FOUND');
    expect((await readJson(await call(devKey, 'lab', 'echo', { text: 'x' }))).output).toBe('echo: x');
  });

  it("reports the skill's own failure as is_error, and cuts output at the app's limit", async () => {
    expect(await readJson(await call(devKey, 'clock', 'broken'))).toMatchObject({
      output: 'the broken tool broke',
      is_error: true,
    });
    const big = await readJson(await call(devKey, 'clock', 'big', { bytes: 5000 }));
    expect(big.truncated).toBe(true);
    expect(big.output).toBe('x'.repeat(1000));
  });

  it('ends a slow skill at the app timeout with 504, and a down app with 503, never a 500 or a hang', async () => {
    const slow = await call(devKey, 'notes', 'slow', { ms: 60_000 });
    expect(slow.status).toBe(504);
    expect((await readJson(slow)).error.code).toBe('SY_ERR_SKILL_TIMEOUT');
    const down = await call(devKey, 'down', 'echo', { text: 'x' });
    expect(down.status).toBe(503);
    expect((await readJson(down)).error.code).toBe('SY_ERR_APP_UNAVAILABLE');
  });

  it('picks up a skill the MCP server adds when it announces that its tools changed', async () => {
    expect((await readJson(await call(devKey, 'clock', 'extra'))).error.code).toBe('SY_ERR_SKILL_NOT_FOUND');
    expect((await readJson(await call(devKey, 'clock', 'grow'))).output).toBe('grown');
    await vi.waitFor(
      async () => {
        const listed = await readJson(await keyRequest(server.url, devKey, 'GET', '/v1/apps'));
        const clock = listed.apps.find((app: { id: string }) => app.id === 'clock');
        expect(clock.skills.map((skill: { name: string }) => skill.name)).toContain('extra');
      },
      { timeout: 20_000, interval: 50 },
    );
    expect((await readJson(await call(devKey, 'clock', 'extra'))).output).toBe('extra!');
  });

  it("needs the key's apps scope", async () => {
    const chatOnly = await server.createKey('dev', { scopes: ['chat'] });
    const refused = await call(chatOnly, 'clock', 'echo', { text: 'x' });
    expect(refused.status).toBe(403);
    expect((await readJson(refused)).error.code).toBe('SY_ERR_FORBIDDEN');
    expect((await keyRequest(server.url, chatOnly, 'GET', '/v1/apps')).status).toBe(403);
  });

  it('counts every call in the metrics by app, skill and outcome', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /switchyard_skill_calls_total\{environment="dev",app="clock",skill="echo",outcome="ok"\} [1-9]/,
    );
    expect(metrics).toMatch(/switchyard_skill_calls_total\{[^}]*app="notes",skill="slow",outcome="timeout"\} 1/);
    expect(metrics).toMatch(/switchyard_skill_calls_total\{[^}]*app="clock",skill="broken",outcome="error"\} 1/);
  });
});
