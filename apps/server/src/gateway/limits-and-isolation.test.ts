import { createUsageRepository } from '@switchyard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let adminKey: string;

beforeAll(async () => {
  server = await startTestServer();
  adminKey = await server.createKey('prod', { admin: true, name: 'admin' });
});

afterAll(async () => {
  await server?.destroy();
});

const chat = (key?: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'count me' }] }),
  });

const putSetting = (key: string, value: unknown, apiKey = adminKey) =>
  fetch(`${server.url}/v1/admin/settings/${key}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ value }),
  });

describe('per-environment chat rate limits from settings', () => {
  it('rejects the 16th prod request in a minute, then passes after an admin raises the limit', async () => {
    const prodKey = await server.createKey('prod');
    for (let index = 1; index <= 15; index += 1) {
      const response = await chat(prodKey);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit')).toBe('15');
      expect(response.headers.get('x-ratelimit-remaining')).toBe(String(15 - index));
    }
    const rejected = await chat(prodKey);
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('x-environment')).toBe('prod');
    expect(Number(rejected.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(rejected.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(rejected.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    const body = await readJson(rejected);
    expect(body.error.code).toBe('SY_ERR_RATE_LIMITED');
    expect(body.error.type).toBe('rate_limit_error');

    const raise = await putSetting('rate_limit.chat.prod', 100);
    expect(raise.status).toBe(200);
    expect((await readJson(raise)).value).toBe(100);
    const after = await chat(prodKey);
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-limit')).toBe('100');
    await putSetting('rate_limit.chat.prod', 15);
  });

  it('counts prod and dev in separate buckets with their own limits', async () => {
    await putSetting('rate_limit.chat.dev', 2);
    await putSetting('rate_limit.chat.prod', 3);
    try {
      const devKey = await server.createKey('dev');
      const prodKey = await server.createKey('prod');
      expect((await chat(devKey)).status).toBe(200);
      expect((await chat(devKey)).status).toBe(200);
      expect((await chat(devKey)).status).toBe(429);
      for (let index = 0; index < 3; index += 1) expect((await chat(prodKey)).status).toBe(200);
      expect((await chat(prodKey)).status).toBe(429);
    } finally {
      await putSetting('rate_limit.chat.dev', 60);
      await putSetting('rate_limit.chat.prod', 15);
    }
  });

  it('limits anonymous callers per client IP, in prod, by their own setting', async () => {
    await putSetting('rate_limit.anonymous.per_minute', 2);
    try {
      expect((await chat()).status).toBe(200);
      expect((await chat()).status).toBe(200);
      const rejected = await chat();
      expect(rejected.status).toBe(429);
      expect(rejected.headers.get('x-environment')).toBe('prod');
      // A key is its own bucket, even from the same IP.
      expect((await chat(await server.createKey('prod'))).status).toBe(200);
    } finally {
      await putSetting('rate_limit.anonymous.per_minute', 20);
    }
  });

  it('counts rejections in /metrics', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /switchyard_rate_limit_rejections_total\{environment="prod",route="\/v1\/chat\/completions"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /switchyard_rate_limit_rejections_total\{environment="dev",route="\/v1\/chat\/completions"\} [1-9]/,
    );
  });
});

describe('environment isolation of usage rows', () => {
  it('writes a dev key’s rows only to the dev database and a prod key’s only to prod', async () => {
    const devKey = await server.createKey('dev');
    const prodKey = await server.createKey('prod');
    const devId = server.parts.keys.findByHash((await import('@switchyard/core')).hashApiKey(devKey))?.id;
    const prodId = server.parts.keys.findByHash((await import('@switchyard/core')).hashApiKey(prodKey))?.id;
    expect(devId && prodId).toBeTruthy();
    for (let index = 0; index < 3; index += 1) await chat(devKey);
    for (let index = 0; index < 2; index += 1) await chat(prodKey);
    await server.parts.usage.flush();

    const prodUsage = createUsageRepository(server.parts.databases.prod.db);
    const devUsage = createUsageRepository(server.parts.databases.dev.db);
    const devRowsInDev = await devUsage.list({ apiKeyId: devId ?? '' });
    const devRowsInProd = await prodUsage.list({ apiKeyId: devId ?? '' });
    const prodRowsInProd = await prodUsage.list({ apiKeyId: prodId ?? '' });
    const prodRowsInDev = await devUsage.list({ apiKeyId: prodId ?? '' });
    expect(devRowsInDev).toHaveLength(3);
    expect(devRowsInProd).toHaveLength(0);
    expect(prodRowsInProd).toHaveLength(2);
    expect(prodRowsInDev).toHaveLength(0);
    expect(devRowsInDev[0]).toMatchObject({
      environment: 'dev',
      route: '/v1/chat/completions',
      method: 'POST',
      model: 'echo',
      status: 200,
      promptTokens: 2,
      completionTokens: 2,
    });
    expect(devRowsInDev[0]?.latencyMs).toBeGreaterThan(0);
  });

  it('logs rejected requests too, in the environment of the key', async () => {
    const devKey = await server.createKey('dev');
    const devId = server.parts.keys.findByHash((await import('@switchyard/core')).hashApiKey(devKey))?.id ?? '';
    await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${devKey}` },
      body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    });
    await server.parts.usage.flush();
    const rows = await createUsageRepository(server.parts.databases.dev.db).list({ apiKeyId: devId });
    expect(rows.map((row) => row.status)).toEqual([404]);
  });
});

describe('operations endpoints', () => {
  it('/health is up and /ready checks both databases', async () => {
    expect(await readJson(await fetch(`${server.url}/health`))).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    const body = await readJson(ready);
    expect(body.status).toBe('ready');
    expect(body.checks.database_prod.ok).toBe(true);
    expect(body.checks.database_dev.ok).toBe(true);
    expect(body.mode).toBe('embedded');
  });

  it('/metrics exposes request counts and latency by environment, route and model', async () => {
    await chat(await server.createKey('dev'));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /switchyard_http_requests_total\{environment="dev",route="\/v1\/chat\/completions",method="POST",status="200",model="echo"\} \d+/,
    );
    expect(text).toContain('switchyard_http_request_duration_seconds_bucket');
    expect(text).toContain(
      'switchyard_upstream_duration_seconds_bucket{le="0.0005",provider="echo",model="echo",outcome="ok"}',
    );
    expect(text).toMatch(/switchyard_tokens_total\{environment="dev",model="echo",kind="completion"\} \d+/);
  });

  it('serves the OpenAPI document with the native and OpenAI-compatible routes, and a docs page', async () => {
    const document = await readJson(await fetch(`${server.url}/openapi.json`));
    expect(document.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/chat',
      '/v1/chat/models',
      '/v1/chat/completions',
      '/v1/models',
      '/v1/status',
      '/v1/admin/settings/{key}',
    ]) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    const chatRequest = document.paths['/v1/chat'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(chatRequest.properties)).toEqual(
      expect.arrayContaining(['model', 'message', 'messages', 'stream']),
    );
    const docs = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('never logs API keys', async () => {
    const key = await server.createKey('dev');
    await chat(key);
    await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${key}` } });
    expect(JSON.stringify(server.logs)).not.toContain(key);
  });
});
