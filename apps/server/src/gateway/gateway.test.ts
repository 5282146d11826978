import { eventually, type FakeUpstreamServer, startFakeOllama, startFakeOpenAI } from '@switchyard/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let fakeOpenAI: FakeUpstreamServer;
let fakeOllama: FakeUpstreamServer;
let devKey: string;
let prodKey: string;
let adminKey: string;

beforeAll(async () => {
  fakeOpenAI = await startFakeOpenAI({ models: ['gpt-4o-mini'] });
  fakeOllama = await startFakeOllama({ models: ['llama3.1:8b'] });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [
        { id: 'openai', type: 'openai-compatible', baseURL: fakeOpenAI.url, apiKey: 'sk-upstream-canary-123' },
        { id: 'local', type: 'ollama', baseURL: fakeOllama.url },
      ],
      models: [
        { id: 'smart', provider: 'openai', upstreamModel: 'gpt-4o-mini', label: 'Smart' },
        { id: 'fast', provider: 'local', upstreamModel: 'llama3.1:8b', label: 'Fast' },
      ],
      defaultModel: 'fast',
    },
  });
  devKey = await server.createKey('dev');
  prodKey = await server.createKey('prod');
  adminKey = await server.createKey('prod', { admin: true });
});

afterAll(async () => {
  await server?.destroy();
  await fakeOpenAI?.close();
  await fakeOllama?.close();
});

function post(path: string, body: unknown, key?: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('OpenAI-compatible API with the official openai client', () => {
  it('answers with the echo model, not streamed, tagged with the key environment', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: devKey });
    const { data, response } = await client.chat.completions
      .create({ model: 'echo', messages: [{ role: 'user', content: 'the quick brown fox' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('the quick brown fox');
    expect(data.model).toBe('echo');
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-environment')).toBe('dev');
  });

  it('streams the echo model word by word with usage at the end', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: devKey });
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'echo',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'one two three four' }],
      })
      .withResponse();
    expect(response.headers.get('x-environment')).toBe('dev');
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const deltas: string[] = [];
    let usageTokens = 0;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) deltas.push(content);
      if (chunk.usage) usageTokens = chunk.usage.total_tokens;
    }
    expect(deltas.join('')).toBe('one two three four');
    expect(deltas.length).toBeGreaterThanOrEqual(4);
    expect(usageTokens).toBeGreaterThan(0);
  });

  it('lists the configured models plus echo', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: devKey });
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['smart', 'fast', 'echo']));
  });

  it('routes to an OpenAI-compatible upstream with its model name and key, streamed and not', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: prodKey });
    const completion = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: 'hi upstream' }],
    });
    expect(completion.choices[0]?.message.content).toBe('fake: hi upstream');
    // The body names the model that answered, as OpenAI does; the header names the deployment.
    expect(completion.model).toBe('gpt-4o-mini');
    const received = fakeOpenAI.requests.at(-1);
    expect(received?.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(received?.headers.authorization).toBe('Bearer sk-upstream-canary-123');

    const stream = await client.chat.completions.create({
      model: 'smart',
      stream: true,
      messages: [{ role: 'user', content: 'stream me please' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('fake: stream me please');
  });

  it('routes to Ollama through its native API, streamed and not', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: prodKey });
    const completion = await client.chat.completions.create({
      model: 'fast',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hello llama' }],
    });
    expect(completion.choices[0]?.message.content).toBe('fake: hello llama');
    const received = fakeOllama.requests.at(-1);
    expect(received?.path).toBe('/api/chat');
    expect(received?.body).toMatchObject({ model: 'llama3.1:8b', options: { num_predict: 50 } });

    const stream = await client.chat.completions.create({
      model: 'fast',
      stream: true,
      messages: [{ role: 'user', content: 'stream llama' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('fake: stream llama');
  });

  it('turns an upstream failure before the first token into an HTTP error, without leaking the upstream key', async () => {
    fakeOpenAI.setBehaviour({
      kind: 'error',
      status: 500,
      body: { error: { message: 'boom sk-upstream-canary-123' } },
    });
    try {
      const response = await post(
        '/v1/chat/completions',
        { model: 'smart', messages: [{ role: 'user', content: 'x' }] },
        prodKey,
      );
      expect(response.status).toBe(502);
      const text = await response.text();
      expect(JSON.parse(text).error.code).toBe('SY_ERR_UPSTREAM');
      expect(text).not.toContain('sk-upstream-canary-123');
    } finally {
      fakeOpenAI.setBehaviour({ kind: 'ok' });
    }
    expect(JSON.stringify(server.logs)).not.toContain('sk-upstream-canary-123');
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    const slow = await startFakeOpenAI({ chunkDelayMs: 200, streamChunks: 30 });
    const abortServer = await startTestServer({
      config: {
        ollama: { autodetect: false },
        providers: [{ id: 'slow', type: 'openai-compatible', baseURL: slow.url }],
        models: [{ id: 'slow', provider: 'slow', upstreamModel: 'gpt-4o-mini' }],
      },
    });
    try {
      const controller = new AbortController();
      const response = await fetch(`${abortServer.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'a b c d e f' }] }),
        signal: controller.signal,
      });
      const reader = response.body?.getReader();
      await reader?.read();
      controller.abort();
      // The upstream sees its request closed; waiting for that event, not a deadline, decides the outcome.
      await eventually(() => expect(slow.abortedRequests).toBe(1));
    } finally {
      await abortServer.destroy();
      await slow.close();
    }
  }, 60_000);
});

describe('native chat API', () => {
  it('answers a single message with the default model', async () => {
    const response = await post('/v1/chat', { message: 'native hello' }, devKey);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-environment')).toBe('dev');
    const body = await readJson(response);
    expect(body).toMatchObject({
      model: 'fast',
      environment: 'dev',
      message: { role: 'assistant', content: 'fake: native hello' },
      finish_reason: 'stop',
    });
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it('streams start, delta and done events', async () => {
    const response = await post('/v1/chat', { model: 'echo', message: 'alpha beta gamma', stream: true }, devKey);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text
      .trim()
      .split('\n\n')
      .map((block) => {
        const [eventLine, dataLine] = block.split('\n');
        return { event: eventLine?.replace('event: ', ''), data: JSON.parse(dataLine?.replace('data: ', '') ?? '{}') };
      });
    expect(events[0]).toMatchObject({ event: 'start', data: { model: 'echo', environment: 'dev' } });
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { finish_reason: 'stop' } });
    const content = events
      .filter((event) => event.event === 'delta')
      .map((event) => event.data.content)
      .join('');
    expect(content).toBe('alpha beta gamma');
  });

  it('lists models with labels and the default', async () => {
    const body = await readJson(await fetch(`${server.url}/v1/chat/models`));
    expect(body.default).toBe('fast');
    expect(body.models).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'fast', label: 'Fast', default: true }),
        expect.objectContaining({ id: 'smart', label: 'Smart', default: false }),
        expect.objectContaining({ id: 'echo', label: 'Test' }),
      ]),
    );
  });

  it('works without a key as anonymous prod', async () => {
    const response = await post('/v1/chat', { model: 'echo', message: 'anon' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-environment')).toBe('prod');
  });
});

describe('bad input gets a 4xx with a stable code', () => {
  const cases: Array<[string, string, unknown, number, string]> = [
    ['malformed JSON', '/v1/chat/completions', '{"model": "echo", "messages": [', 400, 'SY_ERR_INVALID_JSON'],
    [
      'messages of the wrong type',
      '/v1/chat/completions',
      { model: 'echo', messages: 'hello' },
      400,
      'SY_ERR_VALIDATION',
    ],
    [
      'a temperature of the wrong type',
      '/v1/chat/completions',
      { model: 'echo', temperature: 'hot', messages: [{ role: 'user', content: 'x' }] },
      400,
      'SY_ERR_VALIDATION',
    ],
    ['missing messages', '/v1/chat/completions', { model: 'echo' }, 400, 'SY_ERR_VALIDATION'],
    ['empty messages', '/v1/chat/completions', { model: 'echo', messages: [] }, 400, 'SY_ERR_VALIDATION'],
    [
      'an unknown model',
      '/v1/chat/completions',
      { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] },
      404,
      'SY_ERR_MODEL_NOT_FOUND',
    ],
    [
      'an unknown role',
      '/v1/chat/completions',
      { model: 'echo', messages: [{ role: 'wizard', content: 'x' }] },
      400,
      'SY_ERR_VALIDATION',
    ],
    ['native chat without a message', '/v1/chat', { model: 'echo' }, 400, 'SY_ERR_VALIDATION'],
    ['native chat with an unknown field', '/v1/chat', { message: 'x', colour: 'red' }, 400, 'SY_ERR_VALIDATION'],
    ['native chat with an unknown model', '/v1/chat', { model: 'nope', message: 'x' }, 404, 'SY_ERR_MODEL_NOT_FOUND'],
  ];
  for (const [name, path, body, status, code] of cases) {
    it(name, async () => {
      const response = await post(path, body, devKey);
      expect(response.status).toBe(status);
      const json = await readJson(response);
      expect(json.error.code).toBe(code);
      expect(typeof json.error.message).toBe('string');
    });
  }

  it('an oversized body → 413', async () => {
    const response = await post(
      '/v1/chat/completions',
      { model: 'echo', messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] },
      devKey,
    );
    expect(response.status).toBe(413);
    expect((await readJson(response)).error.code).toBe('SY_ERR_PAYLOAD_TOO_LARGE');
  });

  it('a non-JSON content type → 415', async () => {
    const response = await post('/v1/chat', 'hello', devKey, { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect((await readJson(response)).error.code).toBe('SY_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('an unknown route → 404 in our shape', async () => {
    const response = await fetch(`${server.url}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect((await readJson(response)).error.code).toBe('SY_ERR_NOT_FOUND');
  });
});

describe('API keys', () => {
  const chat = (key: string) => post('/v1/chat', { model: 'echo', message: 'k' }, key);

  it('rejects an unknown key, a key without a known prefix, and a malformed header', async () => {
    const unknown = await chat('prod_notarealkeyatall0000000000000000000000000');
    expect(unknown.status).toBe(401);
    expect((await readJson(unknown)).error.code).toBe('SY_ERR_INVALID_API_KEY');
    const noPrefix = await chat('sk-abc');
    expect((await readJson(noPrefix)).error.code).toBe('SY_ERR_INVALID_API_KEY');
    const malformed = await post('/v1/chat', { message: 'k' }, undefined, { authorization: 'Basic abc' });
    expect(malformed.status).toBe(401);
    expect((await readJson(malformed)).error.code).toBe('SY_ERR_UNAUTHORIZED');
  });

  it('rejects a key whose stored environment does not match its prefix', async () => {
    const { hashApiKey, displayPrefixOfKey } = await import('@switchyard/core');
    const { createKeyRepository } = await import('@switchyard/db');
    const forged = 'dev_forgedkeywhosecolumnsaysprod000000000000000';
    await createKeyRepository(server.parts.databases.prod.db).create({
      name: 'mismatch',
      keyHash: hashApiKey(forged),
      keyPrefix: displayPrefixOfKey(forged),
      environment: 'prod',
      isAdmin: false,
    });
    await server.parts.keys.reload();
    const response = await chat(forged);
    expect(response.status).toBe(401);
    expect((await readJson(response)).error.code).toBe('SY_ERR_API_KEY_ENV_MISMATCH');
  });

  it('stores keys only as SHA-256 hashes', async () => {
    const key = await server.createKey('dev', { name: 'hash check' });
    const { createKeyRepository } = await import('@switchyard/db');
    const rows = await createKeyRepository(server.parts.databases.prod.db).list({ includeRevoked: true });
    expect(JSON.stringify(rows)).not.toContain(key);
    const { hashApiKey } = await import('@switchyard/core');
    expect(rows.map((row) => row.keyHash)).toContain(hashApiKey(key));
  });

  it('a key revoked through the admin API is rejected on the next request', async () => {
    const create = await post('/v1/admin/keys', { name: 'short-lived', environment: 'dev' }, adminKey);
    expect(create.status).toBe(201);
    const { key, record } = await readJson(create);
    expect(key).toMatch(/^dev_/);
    expect((await chat(key)).status).toBe(200);
    const revoke = await fetch(`${server.url}/v1/admin/keys/${record.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(revoke.status).toBe(200);
    const rejected = await chat(key);
    expect(rejected.status).toBe(401);
    expect((await readJson(rejected)).error.code).toBe('SY_ERR_API_KEY_REVOKED');
  });

  it('admin routes need an admin key', async () => {
    const noKey = await fetch(`${server.url}/v1/admin/settings`);
    expect(noKey.status).toBe(401);
    const plain = await fetch(`${server.url}/v1/admin/settings`, { headers: { authorization: `Bearer ${devKey}` } });
    expect(plain.status).toBe(403);
    expect((await readJson(plain)).error.code).toBe('SY_ERR_FORBIDDEN');
  });

  it('/v1/status needs a key and reports its environment and limits', async () => {
    expect((await fetch(`${server.url}/v1/status`)).status).toBe(401);
    const response = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${devKey}` } });
    const body = await readJson(response);
    expect(body.environment).toBe('dev');
    expect(body.limits.chat.limit).toBe(60);
    expect(body.limits.chat.remaining).toBeLessThan(60);
    expect(body.quotas.image_per_day).toBe(50);
  });
});
