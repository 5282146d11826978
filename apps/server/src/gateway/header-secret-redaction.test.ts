import { setTimeout as sleep } from 'node:timers/promises';
import { createConversationRepository, createJobsRepository } from '@switchyard/db';
import { type FakeUpstreamServer, type RecordedRequest, startFakeOpenAI } from '@switchyard/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { readEvents, signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * Issue 12, finding 2: a provider key configured as a custom header (Azure OpenAI's `api-key`) was not
 * a registered secret, so an upstream error echoing it reached callers, logs and stored error columns.
 */
const secret = 'azure-key-7f3c9e1d2b4a6c8e0f1a3b5c7d9e';
const imageSecret = 'azure-image-key-0a2b4c6d8e';

let server: TestServer;
let upstream: FakeUpstreamServer;
let key: string;
let alice: Browser;
/** Log lines written before the current test; each test checks only its own. */
let logsBefore = 0;

/** What Azure-style upstreams do on a bad request: quote the credential they received. */
const echoKey = (request: RecordedRequest) => ({
  error: {
    message: `Access denied: key '${String(request.headers['api-key'])}' is not valid for this deployment`,
    type: 'invalid_request_error',
    code: 'bad_key',
  },
});

beforeAll(async () => {
  upstream = await startFakeOpenAI({ models: ['gpt-4o'] });
  server = await startTestServer({
    variables: { AZURE_OPENAI_KEY: secret, AZURE_IMAGE_KEY: imageSecret },
    config: {
      ollama: { autodetect: false },
      routing: { maxAttempts: 1 },
      providers: [
        {
          id: 'azure',
          type: 'openai-compatible',
          baseURL: upstream.url,
          headers: { 'api-key': '${AZURE_OPENAI_KEY}' },
        },
      ],
      models: [{ id: 'azure-gpt', provider: 'azure', upstreamModel: 'gpt-4o' }],
      imageModels: [
        {
          id: 'azure-images',
          type: 'openai-images',
          baseURL: upstream.url,
          headers: { 'api-key': '${AZURE_IMAGE_KEY}' },
        },
      ],
    },
  });
  key = await server.createKey('prod');
  alice = (await signUpUser(server.url, 'redaction')).browser;
});

afterAll(async () => {
  await server?.destroy();
  await upstream?.close();
});

beforeEach(() => {
  logsBefore = server.logs.length;
  upstream.setBehaviour({ kind: 'error', status: 400, bodyFor: echoKey });
});

function post(path: string, body: unknown) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
}

/** The key really went upstream in the header, so a clean answer means it was scrubbed, not never sent. */
function expectKeyWasSent() {
  expect(upstream.requests.at(-1)?.headers['api-key']).toBe(secret);
}

function expectNoSecretInLogs() {
  const lines = server.logs.slice(logsBefore);
  expect(JSON.stringify(lines)).not.toContain(secret);
  expect(JSON.stringify(lines)).not.toContain(imageSecret);
}

describe('a provider key sent in a custom header never leaks', () => {
  it.each([400, 500])('non-streamed /v1/chat/completions, upstream %i echoing the key', async (status) => {
    upstream.setBehaviour({ kind: 'error', status, bodyFor: echoKey });
    const response = await post('/v1/chat/completions', {
      model: 'azure-gpt',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const text = await response.text();
    expectKeyWasSent();
    expect(response.status).toBe(status === 400 ? 400 : 502);
    expect(text).not.toContain(secret);
    if (status === 400) expect(text).toContain('[redacted]');
    expectNoSecretInLogs();
  });

  it('streamed /v1/chat/completions: the error event carries no key', async () => {
    const response = await post('/v1/chat/completions', {
      model: 'azure-gpt',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const text = await response.text();
    expectKeyWasSent();
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(secret);
    expectNoSecretInLogs();
  });

  it('an error inside a 200 stream that quotes the key is scrubbed too', async () => {
    upstream.setBehaviour({ kind: 'stream-error', afterChunks: 1, message: `quota exceeded for key ${secret}` });
    const response = await post('/v1/chat/completions', {
      model: 'azure-gpt',
      stream: true,
      messages: [{ role: 'user', content: 'hello there' }],
    });
    const text = await response.text();
    expect(text).toContain('error');
    expect(text).not.toContain(secret);
    expectNoSecretInLogs();
  });

  it('/v1/chat, plain and streamed', async () => {
    const plain = await post('/v1/chat', { model: 'azure-gpt', message: 'hi' });
    const plainText = await plain.text();
    expect(plain.status).toBe(400);
    expect(plainText).not.toContain(secret);
    const streamed = await post('/v1/chat', { model: 'azure-gpt', message: 'hi', stream: true });
    const streamedText = await streamed.text();
    expectKeyWasSent();
    expect(streamedText).toContain('[redacted]');
    expect(streamedText).not.toContain(secret);
    expectNoSecretInLogs();
  });

  it("an async job's error, as the caller reads it and as jobs.last_error stores it", async () => {
    const accepted = await post('/v1/chat', { model: 'azure-gpt', message: 'later', async: true });
    expect(accepted.status).toBe(202);
    const { id } = (await readJson(accepted)) as { id: string };
    let job: Record<string, unknown> = {};
    for (let attempt = 0; attempt < 200; attempt++) {
      const response = await fetch(`${server.url}/v1/chat/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } });
      job = (await readJson(response)) as Record<string, unknown>;
      if (job.status === 'failed') break;
      await sleep(50);
    }
    expect(job.status).toBe('failed');
    expectKeyWasSent();
    expect(JSON.stringify(job)).toContain('[redacted]');
    expect(JSON.stringify(job)).not.toContain(secret);
    const row = await createJobsRepository(server.parts.databases.prod.db).findById(id);
    expect(row?.lastError?.message).toContain('[redacted]');
    expect(JSON.stringify(row?.lastError)).not.toContain(secret);
    expectNoSecretInLogs();
  });

  it('a chat answer that failed: neither the stream nor conversation_messages.error holds the key', async () => {
    const started = await alice.post('/api/chat/start', { model: 'azure-gpt', message: 'hi' });
    expect(started.status, await started.clone().text()).toBe(201);
    const { sessionId, chatId } = (await readJson(started)) as { sessionId: string; chatId: string };
    const events = await readEvents(await alice.get(`/api/chat/stream?sessionId=${sessionId}`));
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'failed' } });
    expect(JSON.stringify(events)).toContain('[redacted]');
    expect(JSON.stringify(events)).not.toContain(secret);
    expectKeyWasSent();
    const messages = await createConversationRepository(server.parts.databases.prod.db).listMessages(chatId, {
      limit: 10,
      offset: 0,
    });
    const failed = messages.find((message) => message.role === 'assistant');
    expect(failed?.error).toContain('[redacted]');
    expect(failed?.error).not.toContain(secret);
    expectNoSecretInLogs();
  });

  it("an image model's header key: neither the image's error nor its job's last_error holds it", async () => {
    const accepted = await post('/v1/image/generate', { prompt: 'a lighthouse', model: 'azure-images' });
    expect(accepted.status, await accepted.clone().text()).toBe(202);
    const { id } = (await readJson(accepted)) as { id: string };
    let image: Record<string, unknown> = {};
    for (let attempt = 0; attempt < 200; attempt++) {
      const response = await fetch(`${server.url}/v1/image/${id}`, { headers: { authorization: `Bearer ${key}` } });
      image = (await readJson(response)) as Record<string, unknown>;
      if (image.status === 'failed') break;
      await sleep(50);
    }
    expect(image.status).toBe('failed');
    expect(upstream.requests.at(-1)?.headers['api-key']).toBe(imageSecret);
    expect(String(image.error)).toContain('[redacted]');
    expect(JSON.stringify(image)).not.toContain(imageSecret);
    const job = await createJobsRepository(server.parts.databases.prod.db).findById(id);
    expect(JSON.stringify(job?.lastError)).not.toContain(imageSecret);
    expectNoSecretInLogs();
  });
});
