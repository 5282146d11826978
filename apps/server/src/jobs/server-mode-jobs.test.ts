import {
  createServerModeEnvironment,
  type FakeComfyUIServer,
  serverModeAvailable,
  startFakeComfyUI,
  startFakeOpenAI,
  startTestS3Server,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser } from '../testing/chat-client';
import { makePdf } from '../testing/documents';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { settledFile, uploadFile } from '../testing/upload';

const available = await serverModeAvailable('server-mode jobs and images');

describe.skipIf(!available)('server mode: API and worker processes on PostgreSQL, Redis (BullMQ) and S3', () => {
  const cleanups: Array<() => Promise<void>> = [];
  let api: TestServer;
  let worker: TestServer;
  let comfy: FakeComfyUIServer;
  let bucket: string;
  let adminKey: string;

  beforeAll(async () => {
    const environment = await createServerModeEnvironment();
    cleanups.push(environment.drop);
    const s3 = await startTestS3Server();
    cleanups.push(s3.close);
    bucket = s3.bucket;
    const upstream = await startFakeOpenAI({ reply: () => 'from the worker' });
    cleanups.push(upstream.close);
    comfy = await startFakeComfyUI({ finishDelayMs: 50 });
    cleanups.push(comfy.close);
    const variables = {
      ...environment.variables,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_REGION: s3.region,
    };
    const config = {
      ollama: { autodetect: false },
      providers: [{ id: 'up', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'chat', provider: 'up', upstreamModel: 'gpt-4o-mini' }],
      imageModels: [{ id: 'sdxl', type: 'comfyui', baseURL: comfy.url, pollIntervalMs: 50 }],
    };
    api = await startTestServer({ config, variables, role: 'api' });
    worker = await startTestServer({ config, variables, role: 'worker' });
    adminKey = await api.createKey('prod', { admin: true });
    for (const key of ['rate_limit.image.prod', 'rate_limit.image.dev']) {
      await fetch(`${api.url}/v1/admin/settings/${key}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ value: 1000 }),
      });
    }
  }, 120_000);

  afterAll(async () => {
    await api?.destroy();
    await worker?.destroy();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  const post = (path: string, body: unknown, key: string) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
  const get = (path: string, key: string) =>
    fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  async function until(path: string, key: string, done: (body: Json) => boolean): Promise<Json> {
    const started = Date.now();
    let body = await readJson(await get(path, key));
    while (!done(body) && Date.now() - started < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = await readJson(await get(path, key));
    }
    return body;
  }

  it('uses BullMQ and S3', () => {
    expect(api.parts.jobs.backend).toBe('bullmq');
    expect(api.parts.storage.backend).toBe('s3');
    expect(api.parts.imageQuota.backend).toBe('redis');
  });

  it('runs an async chat on the worker process', async () => {
    const key = await api.createKey('dev');
    const job = await readJson(await post('/v1/chat', { model: 'chat', message: 'hello worker', async: true }, key));
    const done = await until(`/v1/chat/jobs/${job.id}`, key, (body) => body.status === 'completed');
    expect(done.result.choices[0].message.content).toBe('from the worker');
    const ready = await readJson(await fetch(`${api.url}/ready`));
    expect(ready.checks.job_workers.ok).toBe(true);
    expect(ready.checks.object_storage.ok).toBe(true);
  });

  it('generates an image on the worker and stores it in S3', async () => {
    const key = await api.createKey('dev');
    const accepted = await readJson(
      await post('/v1/image/generate', { prompt: 'a harbour', width: 256, height: 256 }, key),
    );
    expect(accepted.status).toBe('queued');
    const { id } = accepted;
    const ready = await until(`/v1/image/${id}`, key, (body) => body.status === 'ready' || body.status === 'failed');
    expect(ready.status, JSON.stringify(ready)).toBe('ready');
    const stored = await api.parts.storage.head(`images/dev/${id}.png`);
    expect(stored?.size).toBeGreaterThan(0);
    expect(bucket).toBeTruthy();
    const content = await get(`/v1/image/${id}/content`, key);
    expect(content.status).toBe(200);
    expect(
      Buffer.from(await content.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it('lets exactly the quota through under 200 concurrent requests (Redis)', async () => {
    const set = (value: number) =>
      fetch(`${api.url}/v1/admin/settings/ai.image.max_per_day_free.prod`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ value }),
      });
    await set(10);
    const key = await api.createKey('prod');
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        post('/v1/image/generate', { prompt: `race ${index}`, width: 256, height: 256 }, key),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(190);
  });

  it('extracts an uploaded PDF on the worker, with the file in S3', async () => {
    const { browser } = await signUpUser(api.url, 'server-mode-uploader');
    const response = await uploadFile(api.url, browser, 'tides.pdf', makePdf('Spring tides in server mode'));
    expect(response.status).toBe(201);
    const created = await readJson(response);
    const file = await settledFile(browser, created.id, 60_000);
    expect(file).toMatchObject({ status: 'ready', mimeType: 'application/pdf' });
    const text = await readJson(await browser.get(`/api/files/${created.id}/text`));
    expect(text.text).toContain('Spring tides in server mode');
    const stored = await api.parts.storage.list('files/');
    expect(stored.items.length).toBeGreaterThan(0);
  }, 90_000);
});
