import { type FakeComfyUIServer, readSolidPngColor, startFakeComfyUI } from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, readJson } from '../testing/read-json';
import { setSetting } from '../testing/settings';
import { startTestServer, type TestServer } from '../testing/test-server';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let comfy: FakeComfyUIServer;
let server: TestServer;
let adminKey: string;

beforeAll(async () => {
  comfy = await startFakeComfyUI({ finishDelayMs: 100 });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      imageModels: [{ id: 'sdxl', type: 'comfyui', baseURL: comfy.url, label: 'SDXL', pollIntervalMs: 50 }],
    },
  });
  adminKey = await server.createKey('prod', { admin: true });
  for (const key of ['rate_limit.image.prod', 'rate_limit.image.dev']) await setSetting(server, adminKey, key, 1000);
});

afterAll(async () => {
  await server?.destroy();
  await comfy?.close();
});

const generate = (body: Record<string, unknown>, key?: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/v1/image/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
const get = (path: string, key?: string) =>
  fetch(`${server.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

async function whenReady(id: string, key: string): Promise<Json> {
  const started = Date.now();
  let body = await readJson(await get(`/v1/image/${id}`, key));
  while (body.status !== 'ready' && body.status !== 'failed' && Date.now() - started < 15_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    body = await readJson(await get(`/v1/image/${id}`, key));
  }
  return body;
}

describe('image generation with ComfyUI', () => {
  it('queues, generates, stores and serves an image', async () => {
    const key = await server.createKey('dev');
    const accepted = await generate(
      { prompt: 'a lighthouse at dusk', negative_prompt: 'blurry', width: 512, height: 768, seed: 7 },
      key,
    );
    expect(accepted.status).toBe(202);
    const { id, status_url: statusUrl } = await readJson(accepted);
    expect(statusUrl).toBe(`/v1/image/${id}`);
    const ready = await whenReady(id, key);
    expect(ready).toMatchObject({
      status: 'ready',
      environment: 'dev',
      model: 'sdxl',
      width: 512,
      height: 768,
      seed: 7,
    });
    const content = await get(ready.url, key);
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(content.headers.get('x-content-type-options')).toBe('nosniff');
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.subarray(0, 8)).toEqual(pngSignature);
    expect(readSolidPngColor(bytes)).toHaveLength(3);
    const submitted = comfy.requests.find((request) => request.path === '/prompt');
    expect(JSON.stringify(submitted?.body)).toContain('a lighthouse at dusk');
  });

  it('shows an image only to its key, in its environment', async () => {
    const owner = await server.createKey('dev');
    const { id } = await readJson(await generate({ prompt: 'private', width: 256, height: 256 }, owner));
    await whenReady(id, owner);
    for (const stranger of [await server.createKey('dev'), await server.createKey('prod'), undefined]) {
      expect((await get(`/v1/image/${id}`, stranger)).status).toBe(404);
      expect((await get(`/v1/image/${id}/content`, stranger)).status).toBe(404);
    }
  });

  it('counts the daily quota per key and environment, and says when it resets', async () => {
    await setSetting(server, adminKey, 'ai.image.max_per_day_free.dev', 2);
    try {
      const key = await server.createKey('dev');
      expect((await generate({ prompt: 'one', width: 256, height: 256 }, key)).status).toBe(202);
      expect((await generate({ prompt: 'two', width: 256, height: 256 }, key)).status).toBe(202);
      const third = await generate({ prompt: 'three', width: 256, height: 256 }, key);
      expect(third.status).toBe(429);
      expect((await readJson(third)).error.code).toBe('SY_ERR_QUOTA_EXCEEDED');
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      const quota = await readJson(await get('/v1/image/quota', key));
      expect(quota).toMatchObject({ environment: 'dev', used: 2, limit: 2, remaining: 0 });
      expect(Date.parse(quota.resets_at)).toBeGreaterThan(Date.now());
      // Another key has its own quota.
      expect((await generate({ prompt: 'four', width: 256, height: 256 }, await server.createKey('dev'))).status).toBe(
        202,
      );
    } finally {
      await setSetting(server, adminKey, 'ai.image.max_per_day_free.dev', 50);
    }
  });

  it('lets exactly the quota through under 200 concurrent requests', async () => {
    await setSetting(server, adminKey, 'ai.image.max_per_day_free.prod', 10);
    try {
      const key = await server.createKey('prod');
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, index) => generate({ prompt: `race ${index}`, width: 256, height: 256 }, key)),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 202)).toHaveLength(10);
      expect(statuses.filter((status) => status === 429)).toHaveLength(190);
      expect((await readJson(await get('/v1/image/quota', key))).used).toBe(10);
    } finally {
      await setSetting(server, adminKey, 'ai.image.max_per_day_free.prod', 10);
    }
  });

  it('marks an image failed with a reason when ComfyUI fails to execute it', async () => {
    const key = await server.createKey('dev');
    comfy.setBehaviour({ kind: 'execution-error', message: 'CUDA out of memory' });
    try {
      const { id } = await readJson(await generate({ prompt: 'too big', width: 2048, height: 2048 }, key));
      const failed = await whenReady(id, key);
      expect(failed.status).toBe('failed');
      expect(failed.error).toBeTruthy();
      expect(failed.url).toBeNull();
    } finally {
      comfy.setBehaviour({ kind: 'ok' });
    }
  });

  it('serves the OpenAI-compatible images API with b64_json and url', async () => {
    const key = await server.createKey('dev');
    const b64 = await fetch(`${server.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ prompt: 'a red fox', size: '512x512' }),
    });
    expect(b64.status).toBe(200);
    const body = await readJson(b64);
    expect(Buffer.from(body.data[0].b64_json, 'base64').subarray(0, 8)).toEqual(pngSignature);
    const byUrl = await readJson(
      await fetch(`${server.url}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ prompt: 'a blue fox', size: '512x512', response_format: 'url' }),
      }),
    );
    const fetched = await fetch(byUrl.data[0].url, { headers: { authorization: `Bearer ${key}` } });
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).subarray(0, 8)).toEqual(pngSignature);
  });

  it('generates with the built-in test-image model without any image server', async () => {
    const key = await server.createKey('dev');
    const { id } = await readJson(
      await generate({ prompt: 'placeholder', model: 'test-image', width: 256, height: 256 }, key),
    );
    const ready = await whenReady(id, key);
    expect(ready).toMatchObject({ status: 'ready', model: 'test-image' });
    const models = await readJson(await get('/v1/image/models'));
    expect(models.default).toBe('sdxl');
    expect(models.models.map((model: Json) => model.id)).toEqual(expect.arrayContaining(['sdxl', 'test-image']));
  });

  it('gives the quota unit back when the image cannot be stored', async () => {
    const key = await server.createKey('dev');
    const { db } = server.parts.databases.dev;
    // The images table goes away between the quota and the insert: the request fails after taking a unit.
    await db.execute(sql`ALTER TABLE images RENAME TO images_unavailable`);
    let failed: Response;
    try {
      failed = await generate({ prompt: 'never stored', model: 'test-image', width: 256, height: 256 }, key);
    } finally {
      await db.execute(sql`ALTER TABLE images_unavailable RENAME TO images`);
    }
    expect(failed.status).toBe(500);
    expect(await readJson(await get('/v1/image/quota', key))).toMatchObject({ used: 0 });
    const stored = await generate({ prompt: 'stored', model: 'test-image', width: 256, height: 256 }, key);
    expect(stored.status).toBe(202);
    expect(await readJson(await get('/v1/image/quota', key))).toMatchObject({ used: 1 });
  });

  it('rejects bad input with 4xx codes', async () => {
    const key = await server.createKey('dev');
    expect((await generate({ prompt: '' }, key)).status).toBe(400);
    expect((await generate({ prompt: 'x', width: 99999 }, key)).status).toBe(400);
    expect((await generate({ prompt: 'x', model: 'nope' }, key)).status).toBe(404);
    expect((await generate({ prompt: 'x', colour: 'red' }, key)).status).toBe(400);
  });
});
