import { createUsageRepository } from '@switchyard/db';
import { type FakeUpstreamServer, startFakeAnthropic, startFakeOllama, startFakeOpenAI } from '@switchyard/testkit';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let devKey: string;
let adminKey: string;
let client: Ollama;
const fakes: Record<string, FakeUpstreamServer> = {};

function lastOpenAIBody<T>(): T {
  const last = fakes.openai?.requests.at(-1);
  if (!last) throw new Error('the fake OpenAI server received nothing');
  return last.body as T;
}

beforeAll(async () => {
  fakes.openai = await startFakeOpenAI();
  fakes.ollama = await startFakeOllama({ models: ['llama3.1:8b', 'nomic-embed-text'] });
  fakes.anthropic = await startFakeAnthropic();
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [
        { id: 'openai', type: 'openai-compatible', baseURL: fakes.openai.url },
        { id: 'ollama', type: 'ollama', baseURL: fakes.ollama.url },
        { id: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.url, apiKey: 'sk-fake' },
      ],
      models: [
        { id: 'gpt', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
        { id: 'llama', provider: 'ollama', upstreamModel: 'llama3.1:8b' },
        { id: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
        { id: 'embed-openai', provider: 'openai', upstreamModel: 'text-embedding-3-small', kind: 'embedding' },
        { id: 'embed-ollama', provider: 'ollama', upstreamModel: 'nomic-embed-text', kind: 'embedding' },
      ],
    },
  });
  devKey = await server.createKey('dev', { name: 'ollama-client' });
  adminKey = await server.createKey('prod', { admin: true, name: 'admin' });
  client = new Ollama({ host: server.url, headers: { Authorization: `Bearer ${devKey}` } });
});

afterAll(async () => {
  await server?.destroy();
  for (const fake of Object.values(fakes)) await fake.close();
});

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
};

describe('the official ollama client against the Ollama ingress', () => {
  it('lists the models of the environment, and shows one', async () => {
    const listed = await client.list();
    const names = listed.models.map((model) => model.name);
    expect(names).toEqual(expect.arrayContaining(['gpt', 'llama', 'claude', 'embed-openai']));
    expect(listed.models.find((model) => model.name === 'claude')?.details.family).toBe('anthropic');
    const shown = await client.show({ model: 'gpt' });
    expect(shown.capabilities).toContain('completion');
    expect((await client.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each(['gpt', 'llama', 'claude'])('%s chats, not streamed', async (model) => {
    const answer = await client.chat({
      model,
      stream: false,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: `hello ${model}` },
      ],
    });
    expect(answer.message).toMatchObject({ role: 'assistant', content: `fake: hello ${model}` });
    expect(answer.done).toBe(true);
    expect(answer.done_reason).toBe('stop');
    expect(answer.prompt_eval_count).toBeGreaterThan(0);
    expect(answer.eval_count).toBeGreaterThan(0);
  });

  it('streams a chat as NDJSON by default, ending with done and the counts', async () => {
    const parts = [];
    for await (const part of await client.chat({
      model: 'gpt:latest',
      stream: true,
      messages: [{ role: 'user', content: 'stream these words' }],
    })) {
      parts.push(part);
    }
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.map((part) => part.message.content).join('')).toBe('fake: stream these words');
    const last = parts.at(-1);
    expect(last?.done).toBe(true);
    expect(last?.done_reason).toBe('stop');
    expect(last?.eval_count).toBeGreaterThan(0);
    expect(parts.slice(0, -1).every((part) => !part.done)).toBe(true);

    const raw = await fetch(`${server.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${devKey}` },
      body: JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'raw lines' }] }),
    });
    expect(raw.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await raw.text()).trim().split('\n');
    expect(lines.every((line) => JSON.parse(line).model === 'llama')).toBe(true);
  });

  it('calls tools (whole calls, arguments as objects) and sends tool results back', async () => {
    const first = await client.chat({
      model: 'gpt',
      stream: false,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'call tool for Lisbon' }],
    });
    expect(first.message.tool_calls).toEqual([
      { function: { name: 'get_weather', arguments: { query: 'call tool for Lisbon' } } },
    ]);

    const streamed = [];
    for await (const part of await client.chat({
      model: 'gpt',
      stream: true,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'call tool for Porto' }],
    })) {
      streamed.push(part);
    }
    const calls = streamed.flatMap((part) => part.message.tool_calls ?? []);
    expect(calls).toEqual([{ function: { name: 'get_weather', arguments: { query: 'call tool for Porto' } } }]);

    await client.chat({
      model: 'gpt',
      stream: false,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'call tool for Lisbon' },
        first.message,
        { role: 'tool', content: 'sunny, 24 C', tool_name: 'get_weather' },
      ],
    });
    const sent = lastOpenAIBody<{ messages: Array<Record<string, unknown>> }>().messages;
    const callId = (sent[1]?.tool_calls as Array<{ id: string }> | undefined)?.[0]?.id;
    expect(callId).toBeTruthy();
    expect(sent[2]).toEqual({ role: 'tool', tool_call_id: callId, content: 'sunny, 24 C' });
  });

  it('sends images as image parts and options as OpenAI fields', async () => {
    const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
    await client.chat({
      model: 'gpt',
      stream: false,
      options: { temperature: 0.5, num_predict: 20, stop: ['END'] },
      messages: [{ role: 'user', content: 'what is this', images: [png] }],
    });
    const sent = lastOpenAIBody<Record<string, unknown> & { messages: Array<{ content: unknown }> }>();
    expect(sent.messages[0]?.content).toEqual([
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
      { type: 'text', text: 'what is this' },
    ]);
    expect(sent).toMatchObject({ temperature: 0.5, max_tokens: 20, stop: ['END'] });
  });

  it('generates from a prompt, streamed and not', async () => {
    const whole = await client.generate({ model: 'llama', prompt: 'generate this', system: 'terse', stream: false });
    expect(whole.response).toBe('fake: generate this');
    expect(whole.done).toBe(true);
    let text = '';
    for await (const part of await client.generate({ model: 'claude', prompt: 'generate streamed', stream: true })) {
      text += part.response;
    }
    expect(text).toBe('fake: generate streamed');
    const load = await client.generate({ model: 'gpt', prompt: '', stream: false });
    expect(load.done_reason).toBe('load');
  });

  it('embeds with /api/embed and the legacy /api/embeddings', async () => {
    const embedded = await client.embed({ model: 'embed-openai', input: ['one', 'two'] });
    expect(embedded.embeddings).toHaveLength(2);
    expect(embedded.embeddings[0]?.length).toBeGreaterThan(0);
    const ollamaEmbedded = await client.embed({ model: 'embed-ollama', input: 'three' });
    expect(ollamaEmbedded.embeddings).toHaveLength(1);
    const legacy = await client.embeddings({ model: 'embed-openai', prompt: 'one' });
    expect(legacy.embedding).toEqual(embedded.embeddings[0]);
  });
});

describe('auth, errors, limits and usage on the Ollama ingress', () => {
  it("answers errors in Ollama's shape", async () => {
    const missing = await client
      .chat({ model: 'nope', stream: false, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error as { status_code: number; error: string });
    expect(missing).toMatchObject({ status_code: 404 });
    expect((missing as { error: string }).error).toContain("'nope'");

    const badKey = await fetch(`${server.url}/api/tags`, { headers: { authorization: 'Bearer dev_made-up' } });
    expect(badKey.status).toBe(401);
    expect(typeof (await readJson(badKey)).error).toBe('string');
  });

  it('never reads a session cookie: a signed-in browser without a key is anonymous there', async () => {
    const { browser } = await signUpUser(server.url, 'ollama-cookie');
    const viaCookie = await browser.post('/api/chat', {
      model: 'gpt',
      stream: false,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(viaCookie.status).toBe(200);
    // The anonymous limit (per IP), not the signed-in user's.
    expect(viaCookie.headers.get('x-ratelimit-limit')).toBe('20');
    const onV1 = await browser.post('/v1/chat/completions', {
      model: 'gpt',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(onV1.headers.get('x-ratelimit-limit')).toBe('100');
  });

  it("applies the chat rate limit with a 429 in Ollama's shape", async () => {
    const put = (value: number) =>
      fetch(`${server.url}/v1/admin/settings/rate_limit.chat.dev`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ value }),
      });
    expect((await put(1)).status).toBe(200);
    try {
      const key = await server.createKey('dev');
      const limited = new Ollama({ host: server.url, headers: { Authorization: `Bearer ${key}` } });
      const ask = () => limited.chat({ model: 'gpt', stream: false, messages: [{ role: 'user', content: 'x' }] });
      await ask();
      const refused = (await ask().catch((error: unknown) => error)) as { status_code: number; error: string };
      expect(refused.status_code).toBe(429);
      expect(refused.error).toContain('Rate limit');
    } finally {
      await put(60);
    }
  });

  it("writes usage rows in the key's environment", async () => {
    const prodKey = await server.createKey('prod');
    const prodClient = new Ollama({ host: server.url, headers: { Authorization: `Bearer ${prodKey}` } });
    await prodClient.chat({ model: 'gpt', stream: false, messages: [{ role: 'user', content: 'prod row' }] });
    await client.embed({ model: 'embed-openai', input: 'dev row' });
    await server.parts.usage.flush();
    const prodRows = await createUsageRepository(server.parts.databases.prod.db).list({ limit: 1000 });
    const devRows = await createUsageRepository(server.parts.databases.dev.db).list({ limit: 1000 });
    expect(
      prodRows.some((row) => row.route === '/api/chat' && row.model === 'gpt' && (row.promptTokens ?? 0) > 0),
    ).toBe(true);
    expect(devRows.some((row) => row.route === '/api/embed' && row.model === 'embed-openai')).toBe(true);
    expect(devRows.some((row) => row.route === '/api/chat' && row.environment === 'dev')).toBe(true);
    expect(prodRows.every((row) => row.environment === 'prod')).toBe(true);
  });
});
