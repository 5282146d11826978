import { type FakeUpstreamServer, startFakeAnthropic, startFakeOpenAI } from '@switchyard/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let client: OpenAI;
const fakes: Record<string, FakeUpstreamServer> = {};

beforeAll(async () => {
  fakes.openai = await startFakeOpenAI();
  fakes.anthropic = await startFakeAnthropic();
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [
        { id: 'openai', type: 'openai-compatible', baseURL: fakes.openai.url },
        { id: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.url, apiKey: 'sk-fake' },
      ],
      models: [
        { id: 'gpt', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
        { id: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
        { id: 'gpt-then-claude', provider: 'openai', upstreamModel: 'gpt-4o-mini', fallbacks: ['claude'] },
      ],
    },
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await server.createKey('dev'), maxRetries: 0 });
});

afterAll(async () => {
  await server?.destroy();
  for (const fake of Object.values(fakes)) await fake.close();
});

describe('n > 1 on chat completions', () => {
  it('passes n to OpenAI-compatible upstreams', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt',
      n: 2,
      messages: [{ role: 'user', content: 'two please' }],
    });
    expect(completion.choices.length).toBeGreaterThan(0);
    expect((fakes.openai?.requests.at(-1)?.body as { n?: number } | undefined)?.n).toBe(2);
  });

  it('is a 400 naming the model (or its fallback) when a provider answers one choice', async () => {
    const refused = await client.chat.completions
      .create({ model: 'claude', n: 2, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).toContain("'claude'");
    expect((refused as InstanceType<typeof OpenAI.APIError>).param).toBe('n');

    const viaFallback = await client.chat.completions
      .create({ model: 'gpt-then-claude', n: 2, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(viaFallback).toBeInstanceOf(OpenAI.BadRequestError);
    expect((viaFallback as Error).message).toContain("fallback 'claude'");
  });
});
