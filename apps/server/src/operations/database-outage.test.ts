import {
  createServerModeEnvironment,
  type ServerModeEnvironment,
  serverModeAvailable,
  startFakeComfyUI,
  startFakeOpenAI,
  startTcpProxy,
  type TcpProxy,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const available = await serverModeAvailable('database outage answers');

describe.skipIf(!available)('PostgreSQL down: database-bound routes answer 503, then recover', () => {
  let environment: ServerModeEnvironment;
  let proxy: TcpProxy;
  let server: TestServer;
  let comfy: Awaited<ReturnType<typeof startFakeComfyUI>>;
  let upstream: Awaited<ReturnType<typeof startFakeOpenAI>>;
  let adminKey: string;
  let devKey: string;
  let user: Browser;
  let imageId: string;

  beforeAll(async () => {
    environment = await createServerModeEnvironment();
    const database = new URL(environment.variables.DATABASE_URL);
    proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
    comfy = await startFakeComfyUI();
    upstream = await startFakeOpenAI();
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
        models: [{ id: 'fake', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
        imageModels: [{ id: 'sdxl', type: 'comfyui', baseURL: comfy.url, label: 'SDXL', pollIntervalMs: 50 }],
      },
      variables: {
        ...environment.variables,
        // Both databases live on the one PostgreSQL server behind the proxy.
        DATABASE_URL: proxy.rewrite(environment.variables.DATABASE_URL),
        DEV_DATABASE_URL: proxy.rewrite(environment.variables.DEV_DATABASE_URL),
        // The stop at the end is not under test: in-flight requests, jobs (the image still generating)
        // and event handlers get 2 s each instead of 10, so a loaded machine's stop fits the hook's time.
        SHUTDOWN_TIMEOUT_MS: '2000',
      },
    });
    adminKey = await server.createKey('prod', { admin: true });
    devKey = await server.createKey('dev');
    ({ browser: user } = await signUpUser(server.url, 'outage'));
    const image = await keyRequest(server.url, devKey, 'POST', '/v1/image/generate', {
      model: 'sdxl',
      prompt: 'a fox',
    });
    expect(image.status, await image.clone().text()).toBe(202);
    imageId = (await readJson(image)).id;
  });

  afterAll(async () => {
    await server?.destroy();
    await proxy?.close();
    await comfy?.close();
    await upstream?.close();
    await environment?.drop();
  }, 120_000);

  const calls: Array<[string, () => Promise<Response>]> = [
    [
      'POST /v1/image/generate',
      () => keyRequest(server.url, devKey, 'POST', '/v1/image/generate', { model: 'sdxl', prompt: 'a cat' }),
    ],
    ['GET /v1/image/:id', () => keyRequest(server.url, devKey, 'GET', `/v1/image/${imageId}`)],
    [
      'POST /v1/admin/keys',
      () => keyRequest(server.url, adminKey, 'POST', '/v1/admin/keys', { name: 'x', environment: 'dev' }),
    ],
    ['GET /api/chats', () => user.get('/api/chats')],
    [
      'POST /v1/chat async with Idempotency-Key',
      () =>
        fetch(`${server.url}/v1/chat`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${devKey}`,
            'idempotency-key': 'outage-1',
          },
          body: JSON.stringify({ model: 'fake', message: 'later', async: true }),
        }),
    ],
  ];

  it('answers 503 SY_ERR_DEPENDENCY_UNAVAILABLE with Retry-After while PostgreSQL is down, never 500', async () => {
    proxy.cut();
    for (const [name, call] of calls) {
      const response = await call();
      const text = await response.text();
      expect(response.status, `${name}: ${text}`).toBe(503);
      expect(response.headers.get('retry-after'), name).toBe('5');
      expect(JSON.parse(text).error.code, name).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
      // The caller learns that the database is down, not how it is reached.
      expect(text, name).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|Connection terminated|select|insert/i);
    }
    expect(proxy.refused).toBeGreaterThan(0);
    // One warning line per refused request, without the driver's error object, stack or query.
    // (The access log's line of each request carries the code too: it is the 'request' line, at info.)
    const accessLines = server.logs.filter(
      (line) => line.msg === 'request' && line.code === 'SY_ERR_DEPENDENCY_UNAVAILABLE',
    );
    expect(accessLines.every((line) => line.status === 503)).toBe(true);
    const outageLines = server.logs.filter(
      (line) => line.code === 'SY_ERR_DEPENDENCY_UNAVAILABLE' && line.msg !== 'request',
    );
    expect(outageLines.length).toBeGreaterThanOrEqual(calls.length);
    for (const line of outageLines) {
      expect(line.level).toBe(40);
      expect(line.err).toBeUndefined();
      expect(JSON.stringify(line)).not.toMatch(/params|insert into|select /i);
    }
    expect(server.logs.some((line) => line.code === 'SY_ERR_INTERNAL')).toBe(false);
  });

  it('serves the same routes again once PostgreSQL is back', async () => {
    proxy.restore();
    await vi.waitFor(
      async () => expect((await keyRequest(server.url, devKey, 'GET', `/v1/image/${imageId}`)).status).toBe(200),
      { timeout: 30_000, interval: 100 },
    );
    expect((await user.get('/api/chats')).status).toBe(200);
    const key = await keyRequest(server.url, adminKey, 'POST', '/v1/admin/keys', { name: 'after', environment: 'dev' });
    expect(key.status).toBe(201);
  });
});
