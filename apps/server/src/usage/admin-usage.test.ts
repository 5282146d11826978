import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let adminKey: string;
let devKey: string;

beforeAll(async () => {
  server = await startTestServer();
  adminKey = await server.createKey('prod', { admin: true });
  devKey = await server.createKey('dev');
});
afterAll(() => server?.destroy());

const get = (path: string, key = adminKey) =>
  fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

describe('GET /v1/admin/usage', () => {
  it('aggregates requests, tokens, errors and latency percentiles per bucket and model', async () => {
    const chat = (message: string, extra: Record<string, unknown> = {}) =>
      fetch(`${server.url}/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${devKey}` },
        body: JSON.stringify({ model: 'echo', message, ...extra }),
      });
    for (const message of ['one two', 'three four five', 'six']) expect((await chat(message)).status).toBe(200);
    expect((await chat('x', { unknown_field: true })).status).toBe(400);
    await server.parts.usage.flush();

    const response = await get('/v1/admin/usage?environment=dev&bucket=minute');
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      environment: string;
      bucket: string;
      buckets: Array<{ start: string; requests: number }>;
      model: string | null;
      models: Array<{
        model: string | null;
        provider: string | null;
        requests: number;
        tokens: number;
        prompt_tokens: number;
        completion_tokens: number;
        latency_p95_ms: number | null;
      }>;
      providers: Array<{ provider: string; models: string[]; requests: number; errors: number; server_errors: number }>;
      totals: {
        requests: number;
        errors: number;
        server_errors: number;
        error_rate: number;
        latency_p50_ms: number;
        latency_p99_ms: number;
      };
    };
    expect(body.environment).toBe('dev');
    expect(body.bucket).toBe('minute');
    expect(body.model).toBeNull();
    expect(body.totals.requests).toBe(4);
    expect(body.totals.errors).toBe(1);
    expect(body.totals.server_errors).toBe(0);
    expect(body.totals.error_rate).toBe(0.25);
    expect(body.totals.latency_p50_ms).toBeGreaterThan(0);
    expect(body.totals.latency_p99_ms).toBeGreaterThanOrEqual(body.totals.latency_p50_ms);
    expect(body.buckets.reduce((sum, bucket) => sum + bucket.requests, 0)).toBe(4);
    expect(new Date(body.buckets[0]?.start ?? '').getUTCSeconds()).toBe(0);
    const echo = body.models.find((row) => row.model === 'echo');
    expect(echo?.requests).toBe(3);
    expect(echo?.provider).toBe('echo');
    expect(echo?.prompt_tokens).toBeGreaterThan(0);
    expect(echo?.completion_tokens).toBeGreaterThan(0);
    expect(echo?.tokens).toBe((echo?.prompt_tokens ?? 0) + (echo?.completion_tokens ?? 0));
    const echoProvider = body.providers.find((row) => row.provider === 'echo');
    expect(echoProvider?.models).toContain('echo');
    expect(echoProvider).toMatchObject({ requests: 3, errors: 0, server_errors: 0 });

    // Narrowed to one model: buckets and totals follow, the model list still offers every choice.
    const narrowed = (await (
      await get('/v1/admin/usage?environment=dev&bucket=minute&model=echo')
    ).json()) as typeof body;
    expect(narrowed.model).toBe('echo');
    expect(narrowed.totals).toMatchObject({ requests: 3, errors: 0, error_rate: 0 });
    expect(narrowed.buckets.reduce((sum, bucket) => sum + bucket.requests, 0)).toBe(3);
    expect(narrowed.models.map((row) => row.model)).toEqual(body.models.map((row) => row.model));
    const nothing = (await (await get('/v1/admin/usage?environment=dev&model=no-such-model')).json()) as typeof body;
    expect(nothing.totals).toMatchObject({ requests: 0, latency_p50_ms: null });
    expect(nothing.buckets).toEqual([]);

    const prod = (await (await get('/v1/admin/usage?environment=prod&bucket=hour')).json()) as {
      totals: { requests: number };
    };
    expect(prod.totals.requests).toBeLessThan(4);

    // The dashboard polls this route; its own reads are not usage and must not show up in the charts.
    await server.parts.usage.flush();
    const read = async () =>
      ((await (await get('/v1/admin/usage?environment=prod')).json()) as { totals: { requests: number } }).totals
        .requests;
    const before = await read();
    await read();
    await server.parts.usage.flush();
    expect(await read()).toBe(before);
  });

  it('does not count the console polling admin reads, but counts admin changes', async () => {
    const prodRequests = async () => {
      await server.parts.usage.flush();
      const body = (await (await get('/v1/admin/usage?environment=prod')).json()) as { totals: { requests: number } };
      return body.totals.requests;
    };
    const before = await prodRequests();
    for (const path of ['/v1/admin/settings', '/v1/admin/keys', '/v1/admin/jobs', '/v1/admin/jobs/dead']) {
      expect((await get(path)).status, path).toBe(200);
    }
    expect(await prodRequests()).toBe(before);
    const created = await fetch(`${server.url}/v1/admin/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ environment: 'dev', name: 'counted' }),
    });
    expect(created.status).toBe(201);
    expect(await prodRequests()).toBe(before + 1);
  });

  it('starts hour buckets on whole UTC hours whatever the database time zone', async () => {
    const db = server.parts.databases.dev.db;
    await db.execute(sql`set time zone 'Asia/Kolkata'`);
    try {
      const body = (await (await get('/v1/admin/usage?environment=dev&bucket=hour')).json()) as {
        buckets: Array<{ start: string; requests: number }>;
      };
      expect(body.buckets.length).toBeGreaterThan(0);
      for (const bucket of body.buckets) expect(new Date(bucket.start).getUTCMinutes()).toBe(0);
    } finally {
      await db.execute(sql`set time zone 'UTC'`);
    }
  });

  it('is for admins only and validates its query', async () => {
    expect((await get('/v1/admin/usage', devKey)).status).toBe(403);
    expect((await get('/v1/admin/usage?bucket=day')).status).toBe(400);
    expect((await get('/v1/admin/usage?since=yesterday')).status).toBe(400);
    expect((await get('/v1/admin/usage?model=')).status).toBe(400);
  });
});

describe('web app serving', () => {
  it('keeps API 404s and serves the app (or the build hint) elsewhere', async () => {
    const missing = await fetch(`${server.url}/v1/no-such-route`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('SY_ERR_NOT_FOUND');
    const page = await fetch(`${server.url}/chat`);
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Switchyard');
  });
});
