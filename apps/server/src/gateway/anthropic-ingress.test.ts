import Anthropic from '@anthropic-ai/sdk';
import { createUsageRepository } from '@switchyard/db';
import {
  type FakeUpstreamServer,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOllama,
  startFakeOpenAI,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const canary = 'sk-canary-anthropic-ingress-0123';
let server: TestServer;
let devKey: string;
let adminKey: string;
let client: Anthropic;
const fakes: Record<string, FakeUpstreamServer> = {};

/** The body of the last request the fake OpenAI server received. */
function lastOpenAIBody<T>(): T {
  const last = fakes.openai?.requests.at(-1);
  if (!last) throw new Error('the fake OpenAI server received nothing');
  return last.body as T;
}

beforeAll(async () => {
  fakes.openai = await startFakeOpenAI({ apiKey: canary });
  fakes.ollama = await startFakeOllama({ models: ['llama3.1:8b'] });
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
      ],
      models: [
        { id: 'gpt', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
        { id: 'llama', provider: 'ollama', upstreamModel: 'llama3.1:8b' },
        { id: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
        { id: 'gemini', provider: 'gemini', upstreamModel: 'gemini-2.5-flash' },
        { id: 'prod-only', provider: 'openai', upstreamModel: 'gpt-4o-mini', environments: ['prod'] },
      ],
    },
  });
  devKey = await server.createKey('dev', { name: 'claude-client' });
  adminKey = await server.createKey('prod', { admin: true, name: 'admin' });
  client = new Anthropic({ baseURL: server.url, apiKey: devKey, maxRetries: 0 });
});

afterAll(async () => {
  await server?.destroy();
  for (const fake of Object.values(fakes)) await fake.close();
});

const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object' as const, properties: { query: { type: 'string' } }, required: ['query'] },
};

describe('the official Anthropic client against /v1/messages', () => {
  it.each(['gpt', 'llama', 'claude', 'gemini'])(
    '%s answers a system prompt and a multi-turn conversation',
    async (model) => {
      const message = await client.messages.create({
        model,
        max_tokens: 100,
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'first question' },
          { role: 'assistant', content: [{ type: 'text', text: 'first answer' }] },
          { role: 'user', content: [{ type: 'text', text: `hello ${model}` }] },
        ],
      });
      expect(message.type).toBe('message');
      expect(message.role).toBe('assistant');
      expect(message.model).toBe(model);
      expect(message.content).toEqual([{ type: 'text', text: `fake: hello ${model}` }]);
      expect(message.stop_reason).toBe('end_turn');
      expect(message.usage.input_tokens).toBeGreaterThan(0);
      expect(message.usage.output_tokens).toBeGreaterThan(0);
    },
  );

  it('streams text in Anthropic events, with usage at the end', async () => {
    const stream = client.messages.stream({
      model: 'gpt',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'stream these words please' }],
    });
    const types: string[] = [];
    let text = '';
    stream.on('streamEvent', (event) => types.push(event.type));
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text).toBe('fake: stream these words please');
    expect(final.content).toEqual([{ type: 'text', text }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(types[0]).toBe('message_start');
    expect(types).toContain('content_block_start');
    expect(types).toContain('content_block_delta');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('maps max_tokens and stop_sequences', async () => {
    const message = await client.messages.create({
      model: 'gpt',
      max_tokens: 2,
      stop_sequences: ['never'],
      messages: [{ role: 'user', content: 'a long question with many words' }],
    });
    expect(message.stop_reason).toBe('max_tokens');
    const upstream = lastOpenAIBody<Record<string, unknown>>();
    expect(upstream.stop).toEqual(['never']);
  });

  it('calls tools with tool_use blocks and reads tool_result blocks back', async () => {
    const first = await client.messages.create({
      model: 'gpt',
      max_tokens: 100,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'call tool for Lisbon' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((block) => block.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { query: 'call tool for Lisbon' } });
    if (use?.type !== 'tool_use') throw new Error('no tool_use block');
    const upstreamTools = lastOpenAIBody<{ tools: unknown[] }>().tools;
    expect(upstreamTools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: 'The weather in a city', parameters: weatherTool.input_schema },
      },
    ]);

    const second = await client.messages.create({
      model: 'gpt',
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'call tool for Lisbon' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: use.id, content: 'sunny, 24 C' },
            { type: 'text', text: 'and so?' },
          ],
        },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    const sent = lastOpenAIBody<{ messages: Array<Record<string, unknown>> }>().messages;
    expect(sent[1]).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: use.id, type: 'function', function: { name: 'get_weather' } }],
    });
    expect(sent[2]).toEqual({ role: 'tool', tool_call_id: use.id, content: 'sunny, 24 C' });
    expect(sent[3]).toEqual({ role: 'user', content: 'and so?' });
  });

  it('streams a tool call as a tool_use block with input_json_delta', async () => {
    const deltas: string[] = [];
    const stream = client.messages.stream({
      model: 'gpt',
      max_tokens: 100,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'call tool for Porto' }],
    });
    stream.on('streamEvent', (event) => {
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') {
        deltas.push(event.delta.partial_json);
      }
    });
    const final = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: { query: 'call tool for Porto' } }),
    ]);
  });

  it('sends base64 image blocks as image parts', async () => {
    const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
    await client.messages.create({
      model: 'gpt',
      max_tokens: 50,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
            { type: 'text', text: 'what is this' },
          ],
        },
      ],
    });
    const sent = lastOpenAIBody<{ messages: Array<{ content: unknown }> }>().messages;
    expect(sent[0]?.content).toEqual([
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
      { type: 'text', text: 'what is this' },
    ]);
  });

  it('counts tokens without calling an upstream', async () => {
    const before = fakes.openai?.requests.length;
    const counted = await client.messages.countTokens({
      model: 'gpt',
      system: 'two words',
      messages: [{ role: 'user', content: 'three more words' }],
    });
    expect(counted.input_tokens).toBe(5);
    expect(fakes.openai?.requests.length).toBe(before);
  });
});

describe('auth, errors, limits and usage on /v1/messages', () => {
  it('takes the key from Authorization: Bearer as well', async () => {
    const bearer = new Anthropic({ baseURL: server.url, apiKey: null, authToken: devKey, maxRetries: 0 });
    const message = await bearer.messages.create({
      model: 'gpt',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'bearer' }],
    });
    expect(message.content[0]).toEqual({ type: 'text', text: 'fake: bearer' });
  });

  it("answers errors in Anthropic's shape", async () => {
    const wrong = new Anthropic({ baseURL: server.url, apiKey: 'dev_not-a-real-key', maxRetries: 0 });
    const unauthorized = await wrong.messages
      .create({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((unauthorized as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', code: 'SY_ERR_INVALID_API_KEY' },
    });

    const missing = await client.messages
      .create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);

    // A model that only prod may use does not exist for a dev key.
    const otherEnvironment = await client.messages
      .create({ model: 'prod-only', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(otherEnvironment).toBeInstanceOf(Anthropic.APIError);
    expect((otherEnvironment as InstanceType<typeof Anthropic.APIError>).status).toBeGreaterThanOrEqual(400);

    const invalid = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': devKey, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(invalid.status).toBe(400);
    const body = await readJson(invalid);
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('max_tokens');
  });

  it('needs the chat scope', async () => {
    const imagesOnly = await server.createKey('dev', { scopes: ['images'] });
    const limited = new Anthropic({ baseURL: server.url, apiKey: imagesOnly, maxRetries: 0 });
    const refused = await limited.messages
      .create({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
  });

  it("applies the chat rate limit with a 429 in Anthropic's shape", async () => {
    const put = (value: number) =>
      fetch(`${server.url}/v1/admin/settings/rate_limit.chat.dev`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ value }),
      });
    expect((await put(1)).status).toBe(200);
    try {
      const key = await server.createKey('dev');
      const limited = new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 });
      const ask = () =>
        limited.messages.create({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });
      await ask();
      const refused = await ask().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
      expect((refused as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error', code: 'SY_ERR_RATE_LIMITED' },
      });
    } finally {
      await put(60);
    }
  });

  it("writes usage rows in the key's environment only", async () => {
    const prodKey = await server.createKey('prod', { name: 'prod-claude-client' });
    const prodClient = new Anthropic({ baseURL: server.url, apiKey: prodKey, maxRetries: 0 });
    await prodClient.messages.create({
      model: 'gpt',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'prod row' }],
    });
    await client.messages.create({ model: 'llama', max_tokens: 10, messages: [{ role: 'user', content: 'dev row' }] });
    await server.parts.usage.flush();
    const prodRows = await createUsageRepository(server.parts.databases.prod.db).list({ limit: 1000 });
    const devRows = await createUsageRepository(server.parts.databases.dev.db).list({ limit: 1000 });
    const messagesRows = (rows: typeof prodRows) => rows.filter((row) => row.route === '/v1/messages');
    expect(messagesRows(prodRows).every((row) => row.environment === 'prod')).toBe(true);
    expect(messagesRows(devRows).every((row) => row.environment === 'dev')).toBe(true);
    expect(messagesRows(prodRows).some((row) => row.model === 'gpt' && (row.promptTokens ?? 0) > 0)).toBe(true);
    expect(
      messagesRows(devRows).some(
        (row) => row.model === 'llama' && (row.completionTokens ?? 0) > 0 && row.status === 200,
      ),
    ).toBe(true);
  });
});
