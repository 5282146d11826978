import { createUsageRepository } from '@switchyard/db';
import {
  type FakeUpstreamServer,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOllama,
  startFakeOpenAI,
} from '@switchyard/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const canary = 'sk-canary-0123456789abcdef';
let server: TestServer;
let client: OpenAI;
const fakes: Record<string, FakeUpstreamServer> = {};

beforeAll(async () => {
  fakes.openai = await startFakeOpenAI({ apiKey: canary });
  fakes.ollama = await startFakeOllama({ models: ['llama3.1:8b', 'nomic-embed-text'] });
  fakes.anthropic = await startFakeAnthropic({ apiKey: canary });
  fakes.gemini = await startFakeGemini();
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [
        { id: 'openai', type: 'openai-compatible', baseURL: fakes.openai.url, apiKey: canary },
        { id: 'ollama', type: 'ollama', baseURL: fakes.ollama.url },
        { id: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.url, apiKey: canary },
        { id: 'gemini', type: 'gemini', baseURL: fakes.gemini.url, apiKey: canary },
        { id: 'leaky', type: 'openai-compatible', baseURL: fakes.openai.url, apiKey: 'sk-wrong-key-not-the-canary' },
      ],
      models: [
        { id: 'gpt', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
        { id: 'llama', provider: 'ollama', upstreamModel: 'llama3.1:8b' },
        { id: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
        { id: 'gemini', provider: 'gemini', upstreamModel: 'gemini-2.5-flash' },
        { id: 'embed-openai', provider: 'openai', upstreamModel: 'text-embedding-3-small' },
        { id: 'embed-ollama', provider: 'ollama', upstreamModel: 'nomic-embed-text' },
        { id: 'leaky', provider: 'leaky', upstreamModel: 'gpt-4o-mini' },
      ],
    },
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await server.createKey('dev') });
});

afterAll(async () => {
  await server?.destroy();
  for (const fake of Object.values(fakes)) await fake.close();
});

describe('the official openai client against every provider', () => {
  it.each(['gpt', 'llama', 'claude', 'gemini'])('%s answers, streamed and not', async (model) => {
    const completion = await client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: `hello ${model}` },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe(`fake: hello ${model}`);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(completion.choices[0]?.finish_reason).toBe('stop');

    const stream = await client.chat.completions.create({
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: `stream ${model}` }],
    });
    let text = '';
    let usage = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage.total_tokens;
    }
    expect(text).toBe(`fake: stream ${model}`);
    expect(usage).toBeGreaterThan(0);
  });

  it.each(['embed-openai', 'embed-ollama'])('%s gives embeddings', async (model) => {
    const result = await client.embeddings.create({ model, input: ['one', 'two'], encoding_format: 'float' });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(result.data[0]?.embedding).not.toEqual(result.data[1]?.embedding);
  });

  it.each(['embed-openai', 'embed-ollama'])(
    "%s with the client's defaults (base64 on the wire) decodes to the float vectors",
    async (model) => {
      const asFloats = await client.embeddings.create({ model, input: 'same text', encoding_format: 'float' });
      const before = fakes.openai?.requests.length ?? 0;
      const byDefault = await client.embeddings.create({ model, input: 'same text' });
      const expected = asFloats.data[0]?.embedding ?? [];
      const decoded = byDefault.data[0]?.embedding ?? [];
      expect(decoded).toHaveLength(expected.length);
      // float32 on the wire: equal to the float answer to float32 precision.
      decoded.forEach((value, index) => {
        expect(value).toBeCloseTo(expected[index] ?? Number.NaN, 5);
      });
      // The upstream is asked for floats whatever the client asked us for.
      for (const request of fakes.openai?.requests.slice(before) ?? []) {
        expect(JSON.stringify(request.body)).not.toContain('base64');
      }
    },
  );

  it('a raw base64 answer is float32 little-endian, as OpenAI sends it', async () => {
    const response = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embed-openai', input: 'x', encoding_format: 'base64' }),
    });
    expect(response.status).toBe(200);
    const body = await readJson(response);
    const bytes = Buffer.from(body.data[0].embedding, 'base64');
    const floats = await client.embeddings.create({ model: 'embed-openai', input: 'x', encoding_format: 'float' });
    expect(bytes.length).toBe((floats.data[0]?.embedding.length ?? 0) * 4);
    expect(bytes.readFloatLE(0)).toBeCloseTo(floats.data[0]?.embedding[0] ?? Number.NaN, 5);
  });

  it('models.retrieve gives one entry of the list, and a clear 404 for a model that is not offered', async () => {
    const listed = (await client.models.list()).data.find((model) => model.id === 'gpt');
    const model = await client.models.retrieve('gpt');
    expect(model).toEqual(listed);
    const missing = await client.models.retrieve('no-such-model').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).message).toContain('no-such-model');
  });

  it.each(['gpt', 'llama', 'claude', 'gemini'])(
    '%s: fields sent as null (stop, temperature, ...) count as not sent and never reach the upstream',
    async (model) => {
      const fake =
        fakes[model === 'gpt' ? 'openai' : model === 'llama' ? 'ollama' : model === 'claude' ? 'anthropic' : 'gemini'];
      const before = fake?.requests.length ?? 0;
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          messages: [{ role: 'user', content: 'no values' }],
          stop: null,
          temperature: null,
          top_p: null,
          max_tokens: null,
          seed: null,
          presence_penalty: null,
          response_format: null,
          tools: null,
          logprobs: null,
        }),
      });
      expect(response.status).toBe(200);
      expect((await readJson(response)).choices[0].message.content).toBe('fake: no values');
      const sent = JSON.stringify(fake?.requests.slice(before).map((request) => request.body));
      expect(sent).toContain('no values');
      expect(sent).not.toContain(':null');
    },
  );

  it.each([
    ['a text part without text', [{ type: 'text' }]],
    ['an image part without a url', [{ type: 'image_url', image_url: {} }]],
    ['an image part without image_url', [{ type: 'image_url' }]],
  ])('refuses %s with a 400 before any adapter sees it', async (_case, content) => {
    const before = fakes.anthropic?.requests.length ?? 0;
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content }] }),
    });
    expect(response.status).toBe(400);
    expect((await readJson(response)).error.code).toBe('SY_ERR_VALIDATION');
    expect(fakes.anthropic?.requests.length).toBe(before);
  });

  it('rejects embeddings input of the wrong shape', async () => {
    const response = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embed-openai', input: 42 }),
    });
    expect(response.status).toBe(400);
  });
});

describe('upstream keys never leak', () => {
  it('keeps the canary key out of errors, logs, metrics and usage rows', async () => {
    const failure = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'leaky', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(failure.status).toBe(502);
    const failureText = await failure.text();
    expect(failureText).not.toContain('sk-wrong-key');
    fakes.anthropic?.setBehaviour({
      kind: 'error',
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: `bad key ${canary}` } },
    });
    const echoed = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }),
    });
    fakes.anthropic?.setBehaviour({ kind: 'ok' });
    expect(echoed.status).toBe(400);
    expect(await echoed.text()).not.toContain(canary);

    await server.parts.usage.flush();
    const rows = [
      ...(await createUsageRepository(server.parts.databases.prod.db).list({ limit: 1000 })),
      ...(await createUsageRepository(server.parts.databases.dev.db).list({ limit: 1000 })),
    ];
    expect(rows.length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const haystack of [JSON.stringify(server.logs), metrics, JSON.stringify(rows), failureText]) {
      expect(haystack).not.toContain(canary);
      expect(haystack).not.toContain('sk-wrong-key-not-the-canary');
    }
    const ready = await readJson(await fetch(`${server.url}/ready`));
    expect(JSON.stringify(ready)).not.toContain(canary);
  });
});
