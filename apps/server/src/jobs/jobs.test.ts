import { createChatMessageRepository } from '@switchyard/db';
import { platformJobs, withBackoffSchedule } from '@switchyard/jobs';
import { type FakeUpstreamServer, startFakeOpenAI } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let upstream: FakeUpstreamServer;
let server: TestServer;
let devKey: string;
let otherDevKey: string;
let prodKey: string;
let adminKey: string;

beforeAll(async () => {
  upstream = await startFakeOpenAI({
    reply: (body) => `async: ${JSON.stringify((body.messages as Json[]).at(-1)?.content)}`,
  });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'up', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'queued', provider: 'up', upstreamModel: 'gpt-4o-mini' }],
      routing: { maxAttempts: 1 },
    },
    // Seed 002's schedule (1 min, 10 min, 1 h, 1 day) shortened so retries happen within the test.
    jobsCatalog: withBackoffSchedule(platformJobs, [100, 200]),
  });
  devKey = await server.createKey('dev');
  otherDevKey = await server.createKey('dev');
  prodKey = await server.createKey('prod');
  adminKey = await server.createKey('prod', { admin: true });
});

afterAll(async () => {
  await server?.destroy();
  await upstream?.close();
});

function post(path: string, body: unknown, key?: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
}

const get = (path: string, key?: string) =>
  fetch(`${server.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  let value = await read();
  while (!done(value) && Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

describe('async chat (seed 002 flow)', () => {
  it('answers 202 with a job id, then the stored result; the messages land in the environment database', async () => {
    const accepted = await post('/v1/chat', { model: 'queued', message: 'do it later', async: true }, devKey);
    expect(accepted.status).toBe(202);
    const job = await readJson(accepted);
    expect(job).toMatchObject({ object: 'chat.job', status: 'queued', model: 'queued', environment: 'dev' });
    expect(accepted.headers.get('location')).toBe(`/v1/chat/jobs/${job.id}`);

    const finished = await until(
      async () => readJson(await get(`/v1/chat/jobs/${job.id}`, devKey)),
      (body) => body.status === 'completed',
    );
    expect(finished.result.choices[0].message.content).toBe('async: "do it later"');
    expect(finished.result.served_by).toBe('up/gpt-4o-mini');

    const devMessages = await createChatMessageRepository(server.parts.databases.dev.db).listByConversation(job.id);
    expect(devMessages.map((message) => [message.role, message.content])).toEqual([
      ['user', 'do it later'],
      ['assistant', 'async: "do it later"'],
    ]);
    const prodMessages = await createChatMessageRepository(server.parts.databases.prod.db).listByConversation(job.id);
    expect(prodMessages).toHaveLength(0);
  });

  it('accepts Prefer: respond-async on the OpenAI-compatible route', async () => {
    const accepted = await post(
      '/v1/chat/completions',
      { model: 'queued', messages: [{ role: 'user', content: 'openai later' }] },
      devKey,
      { prefer: 'respond-async' },
    );
    expect(accepted.status).toBe(202);
    const job = await readJson(accepted);
    const finished = await until(
      async () => readJson(await get(`/v1/chat/jobs/${job.id}`, devKey)),
      (body) => body.status === 'completed',
    );
    expect(finished.result.choices[0].message.content).toBe('async: "openai later"');
  });

  it('streams job events until completion', async () => {
    upstream.setBehaviour({ kind: 'delay', ms: 300 });
    try {
      const job = await readJson(await post('/v1/chat', { model: 'queued', message: 'watch me', async: true }, devKey));
      const events = await (await get(`/v1/chat/jobs/${job.id}/events`, devKey)).text();
      const names = [...events.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);
      expect(names[0]).toBe('status');
      expect(names.at(-1)).toBe('completed');
      expect(events).toContain('async: \\"watch me\\"');
    } finally {
      upstream.setBehaviour({ kind: 'ok' });
    }
  });

  it('hides a job from another key and from the other environment', async () => {
    const job = await readJson(await post('/v1/chat', { model: 'queued', message: 'mine', async: true }, devKey));
    for (const key of [otherDevKey, prodKey, undefined]) {
      const response = await get(`/v1/chat/jobs/${job.id}`, key);
      expect(response.status).toBe(404);
      expect((await readJson(response)).error.code).toBe('SY_ERR_NOT_FOUND');
      expect((await get(`/v1/chat/jobs/${job.id}/events`, key)).status).toBe(404);
    }
  });

  it('retries on the configured schedule, then succeeds', async () => {
    upstream.setBehaviour({ kind: 'error', status: 500 });
    const before = upstream.requests.length;
    const job = await readJson(await post('/v1/chat', { model: 'queued', message: 'flaky', async: true }, devKey));
    await until(
      async () => upstream.requests.length,
      (count) => count >= before + 2,
    );
    upstream.setBehaviour({ kind: 'ok' });
    const finished = await until(
      async () => readJson(await get(`/v1/chat/jobs/${job.id}`, devKey)),
      (body) => body.status === 'completed',
    );
    expect(finished.attempts).toBeGreaterThanOrEqual(3);
  });
});

describe('dead-letter queue through the admin API', () => {
  it('dead-letters a job the provider rejects, then replays and discards', async () => {
    upstream.setBehaviour({
      kind: 'error',
      status: 400,
      body: { error: { message: 'bad request', type: 'invalid_request_error' } },
    });
    let deadId: string;
    let discardId: string;
    try {
      deadId = (await readJson(await post('/v1/chat', { model: 'queued', message: 'rejected', async: true }, devKey)))
        .id;
      discardId = (
        await readJson(await post('/v1/chat', { model: 'queued', message: 'discard me', async: true }, devKey))
      ).id;
      const failed = await until(
        async () => readJson(await get(`/v1/chat/jobs/${deadId}`, devKey)),
        (body) => body.status === 'failed',
      );
      // A 400 from the provider is not retryable: straight to the dead-letter queue after one attempt.
      expect(failed.attempts).toBe(1);
      expect(failed.error.code).toBe('SY_ERR_UPSTREAM_BAD_REQUEST');
      await until(
        async () => readJson(await get(`/v1/chat/jobs/${discardId}`, devKey)),
        (body) => body.status === 'failed',
      );
    } finally {
      upstream.setBehaviour({ kind: 'ok' });
    }

    expect((await get('/v1/admin/jobs/dead', devKey)).status).toBe(403);
    const dead = await readJson(await get('/v1/admin/jobs/dead?name=chat.complete', adminKey));
    const listed = dead.jobs.find((job: Json) => job.id === deadId);
    expect(listed).toMatchObject({ status: 'dead', attempts: 1, last_error: { code: 'SY_ERR_UPSTREAM_BAD_REQUEST' } });
    expect((await readJson(await get(`/v1/admin/jobs/${deadId}`, adminKey))).status).toBe('dead');

    const replayed = await post(`/v1/admin/jobs/${deadId}/replay`, {}, adminKey);
    expect(replayed.status).toBe(200);
    const completed = await until(
      async () => readJson(await get(`/v1/chat/jobs/${deadId}`, devKey)),
      (body) => body.status === 'completed',
    );
    expect(completed.result.choices[0].message.content).toBe('async: "rejected"');

    const discarded = await fetch(`${server.url}/v1/admin/jobs/${discardId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(discarded.status).toBe(204);
    expect((await get(`/v1/admin/jobs/${discardId}`, adminKey)).status).toBe(404);
    expect((await post(`/v1/admin/jobs/${discardId}/replay`, {}, adminKey)).status).toBe(404);

    const stats = await readJson(await get('/v1/admin/jobs', adminKey));
    expect(stats.backend).toBe('embedded');
    expect(stats.byName['chat.complete'].completed).toBeGreaterThan(0);
    expect(stats.workers.length).toBeGreaterThan(0);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body, and refuses another body', async () => {
    const body = { model: 'queued', message: 'only once', async: true };
    const first = await post('/v1/chat', body, devKey, { 'idempotency-key': 'order-42' });
    const second = await post('/v1/chat', body, devKey, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await readJson(second)).id).toBe((await readJson(first)).id);

    const other = await post('/v1/chat', { ...body, message: 'something else' }, devKey, {
      'idempotency-key': 'order-42',
    });
    expect(other.status).toBe(422);
    expect((await readJson(other)).error.code).toBe('SY_ERR_IDEMPOTENCY_MISMATCH');

    // The same key from another key's caller is its own scope.
    const elsewhere = await post('/v1/chat', body, otherDevKey, { 'idempotency-key': 'order-42' });
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.headers.get('idempotent-replayed')).toBeNull();
  });

  it('answers 409 while the first request with the key is still running', async () => {
    const principalScope = `dev:key:${server.parts.keys.findByHash((await import('@switchyard/core')).hashApiKey(devKey))?.id}`;
    const body = { model: 'queued', message: 'x', async: true };
    const { idempotencyRequestHash } = await import('@switchyard/jobs');
    await server.parts.idempotency.begin(
      principalScope,
      'in-flight',
      idempotencyRequestHash({ method: 'POST', path: '/v1/chat', body }),
    );
    const response = await post('/v1/chat', body, devKey, {
      'idempotency-key': 'in-flight',
    });
    expect(response.status).toBe(409);
    expect((await readJson(response)).error.code).toBe('SY_ERR_CONFLICT');
  });
});
