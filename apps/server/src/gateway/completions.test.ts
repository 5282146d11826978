import { createUsageRepository } from '@switchyard/db';
import { type FakeUpstreamServer, startFakeAnthropic, startFakeOllama, startFakeOpenAI } from '@switchyard/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let client: OpenAI;
let prodClient: OpenAI;
const fakes: Record<string, FakeUpstreamServer> = {};

function lastRequest(fake: string, path: string) {
  const found = fakes[fake]?.requests.filter((request) => request.path.startsWith(path)).at(-1);
  if (!found) throw new Error(`the fake ${fake} received no ${path}`);
  return found.body as Record<string, unknown>;
}

beforeAll(async () => {
  fakes.openai = await startFakeOpenAI({ models: ['gpt-3.5-turbo-instruct', 'gpt-4o-mini', 'omni-moderation-latest'] });
  fakes.ollama = await startFakeOllama();
  fakes.anthropic = await startFakeAnthropic();
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [
        { id: 'openai', type: 'openai-compatible', baseURL: fakes.openai.url },
        { id: 'local', type: 'ollama', baseURL: fakes.ollama.url },
        { id: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.url, apiKey: 'sk-fake' },
      ],
      models: [
        { id: 'instruct', provider: 'openai', upstreamModel: 'gpt-3.5-turbo-instruct' },
        { id: 'gpt', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
        { id: 'llama', provider: 'local', upstreamModel: 'llama3.1:8b' },
        { id: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
        // Moderation is offered in prod only, so dev callers meet the "none configured" answer.
        {
          id: 'moderation',
          provider: 'openai',
          upstreamModel: 'omni-moderation-latest',
          kind: 'moderation',
          environments: ['prod'],
        },
      ],
    },
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await server.createKey('dev'), maxRetries: 0 });
  prodClient = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await server.createKey('prod'), maxRetries: 0 });
});

afterAll(async () => {
  await server?.destroy();
  for (const fake of Object.values(fakes)) await fake.close();
});

describe('POST /v1/completions with the official openai client', () => {
  it('passes through to an OpenAI-compatible upstream, whole and streamed', async () => {
    const completion = await client.completions.create({
      model: 'instruct',
      prompt: 'Say this',
      max_tokens: 20,
      temperature: 0.5,
      stop: ['\n'],
    });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0]?.text).toBe(' fake: Say this');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(lastRequest('openai', '/v1/completions')).toMatchObject({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Say this',
      max_tokens: 20,
      temperature: 0.5,
      stop: ['\n'],
      stream: false,
    });

    const stream = await client.completions.create({
      model: 'instruct',
      prompt: ['one', 'two'],
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = new Map<number, string>();
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      for (const choice of chunk.choices) texts.set(choice.index, (texts.get(choice.index) ?? '') + choice.text);
      if (chunk.usage) usage = chunk.usage;
    }
    expect([...texts.entries()].sort(([a], [b]) => a - b)).toEqual([
      [0, ' fake: one'],
      [1, ' fake: one (choice 2)'],
      [2, ' fake: two'],
      [3, ' fake: two (choice 2)'],
    ]);
    expect(usage?.prompt_tokens).toBe(2);
  });

  it('passes echo and suffix to an OpenAI-compatible upstream', async () => {
    const completion = await client.completions.create({
      model: 'instruct',
      prompt: 'def f(',
      suffix: ')',
      echo: true,
    });
    expect(completion.choices[0]?.text).toBe('def f( fake: def f()');
  });

  it('continues the raw prompt on Ollama through /api/generate', async () => {
    const completion = await client.completions.create({ model: 'llama', prompt: 'Once upon', max_tokens: 50 });
    expect(completion.choices[0]?.text).toBe(' fake: Once upon');
    expect(completion.usage?.prompt_tokens).toBe(2);
    expect(lastRequest('ollama', '/api/generate')).toMatchObject({
      model: 'llama3.1:8b',
      prompt: 'Once upon',
      raw: true,
      stream: false,
      options: { num_predict: 50 },
    });

    const stream = await client.completions.create({ model: 'llama', prompt: ['a b', 'c'], stream: true });
    const texts: string[] = [];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) texts[choice.index] = (texts[choice.index] ?? '') + choice.text;
    }
    expect(texts).toEqual([' fake: a b', ' fake: c']);
  });

  it('sends each prompt as one user turn to a provider without completions (Anthropic)', async () => {
    const completion = await client.completions.create({ model: 'claude', prompt: ['first', 'second'] });
    expect(completion.choices.map((choice) => [choice.index, choice.text])).toEqual([
      [0, 'fake: first'],
      [1, 'fake: second'],
    ]);
    expect(lastRequest('anthropic', '/v1/messages')).toMatchObject({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'second' }] }],
    });
    expect(lastRequest('anthropic', '/v1/messages').system).toBeUndefined();

    // The built-in echo model, as in docs/api.md's example.
    const echo = await client.completions.create({ model: 'echo', prompt: 'Once upon a time', max_tokens: 32 });
    expect(echo.choices[0]?.text).toContain('Once upon a time');
    expect(echo.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await client.completions.create({ model: 'claude', prompt: 'streamed words', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('fake: streamed words');
  });

  it('refuses what the provider cannot do with a 400 naming the model and the field', async () => {
    const cases: Array<[Parameters<typeof client.completions.create>[0], string]> = [
      [{ model: 'claude', prompt: 'x', echo: true }, 'echo'],
      [{ model: 'claude', prompt: 'x', suffix: 'y' }, 'suffix'],
      [{ model: 'llama', prompt: 'x', logprobs: 2 }, 'logprobs'],
      [{ model: 'llama', prompt: 'x', n: 2, stream: true }, 'n'],
    ];
    for (const [body, param] of cases) {
      const refused = await client.completions.create(body).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect((refused as InstanceType<typeof OpenAI.APIError>).param).toBe(param);
      expect((refused as Error).message).toContain(`'${body.model}'`);
    }
    const tokens = await client.completions.create({ model: 'instruct', prompt: [1, 2, 3] }).catch((error) => error);
    expect(tokens).toBeInstanceOf(OpenAI.BadRequestError);
    const moderationModel = await prodClient.completions
      .create({ model: 'moderation', prompt: 'x' })
      .catch((error: unknown) => error);
    expect((moderationModel as InstanceType<typeof OpenAI.APIError>).param).toBe('model');
  });
});

describe('streamed chat completions with n > 1', () => {
  it('delivers both choices from an OpenAI-compatible upstream, usage once', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt',
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'two please' }],
    });
    const texts = new Map<number, string>();
    const finishes = new Map<number, string | null>();
    const usages: OpenAI.CompletionUsage[] = [];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        texts.set(choice.index, (texts.get(choice.index) ?? '') + (choice.delta.content ?? ''));
        if (choice.finish_reason) finishes.set(choice.index, choice.finish_reason);
      }
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(texts.get(0)).toBe('fake: two please');
    expect(texts.get(1)).toBe('fake: two please (choice 2)');
    expect([...finishes.entries()].sort()).toEqual([
      [0, 'stop'],
      [1, 'stop'],
    ]);
    expect(usages).toHaveLength(1);
    // Both choices' words (3 + 5), counted by the upstream in its one usage chunk.
    expect(usages[0]?.completion_tokens).toBe(8);
  });

  it('is a 400 naming the model when streamed to a provider that answers one choice', async () => {
    const refused = await client.chat.completions
      .create({ model: 'claude', n: 2, stream: true, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).param).toBe('n');
    expect((refused as Error).message).toContain("'claude'");
  });
});

describe('POST /v1/moderations', () => {
  it('passes string, array and multimodal input to the configured moderation model', async () => {
    const one = await prodClient.moderations.create({ model: 'moderation', input: 'I hate mondays' });
    expect(one.results).toHaveLength(1);
    expect(one.results[0]?.flagged).toBe(true);
    expect(one.results[0]?.categories.harassment).toBe(true);
    expect(lastRequest('openai', '/v1/moderations')).toEqual({
      model: 'omni-moderation-latest',
      input: 'I hate mondays',
    });

    // Without a model: the first moderation model configured.
    const many = await prodClient.moderations.create({ input: ['kind words', 'hate'] });
    expect(many.results.map((result) => result.flagged)).toEqual([false, true]);

    const multimodal = await prodClient.moderations.create({
      model: 'moderation',
      input: [
        { type: 'text', text: 'a picture' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
      ],
    });
    expect(multimodal.results).toHaveLength(1);
    expect(lastRequest('openai', '/v1/moderations').input).toHaveLength(2);
  });

  it('answers SY_ERR_MODEL_NOT_FOUND when no moderation model is configured, 400 for a chat model', async () => {
    const none = await client.moderations.create({ input: 'hello' }).catch((error: unknown) => error);
    expect(none).toBeInstanceOf(OpenAI.NotFoundError);
    expect((none as InstanceType<typeof OpenAI.APIError>).code).toBe('SY_ERR_MODEL_NOT_FOUND');
    expect((none as Error).message).toContain('kind: moderation');

    const chatModel = await prodClient.moderations
      .create({ model: 'gpt', input: 'hello' })
      .catch((error: unknown) => error);
    expect(chatModel).toBeInstanceOf(OpenAI.BadRequestError);
    expect((chatModel as InstanceType<typeof OpenAI.APIError>).param).toBe('model');
  });

  it('lists the moderation model with its kind in GET /v1/models', async () => {
    const models = await prodClient.models.list();
    expect(models.data.find((model) => model.id === 'moderation')).toMatchObject({ kind: 'moderation' });
  });
});

describe('usage', () => {
  it('writes one usage row per request, with the tokens the upstream reported', async () => {
    await server.parts.usage.flush();
    const rows = await createUsageRepository(server.parts.databases.dev.db).list({ limit: 1000 });
    const completions = rows.filter((row) => row.route === '/v1/completions' && row.status === 200);
    expect(new Set(completions.map((row) => row.model))).toEqual(new Set(['instruct', 'llama', 'claude', 'echo']));
    expect(completions.every((row) => (row.completionTokens ?? 0) > 0)).toBe(true);
    const chat = rows.filter((row) => row.route === '/v1/chat/completions' && row.status === 200);
    expect(chat).toHaveLength(1);
    expect(chat[0]?.completionTokens).toBe(8);
    const prodRows = await createUsageRepository(server.parts.databases.prod.db).list({ limit: 1000 });
    expect(prodRows.filter((row) => row.route === '/v1/moderations' && row.status === 200)).toHaveLength(3);
  });
});
