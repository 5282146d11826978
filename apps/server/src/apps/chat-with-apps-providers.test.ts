import {
  type FakeUpstreamServer,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOllama,
  startFakeOpenAI,
  startFakeSearxng,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * The skill loop with every provider that supports tools: each fake asks for the first tool in its own
 * wire format (OpenAI `tool_calls`, Anthropic `tool_use`, Gemini `functionCall`, Ollama `tool_calls`)
 * when the user says "call tool", and answers with what the tool said once it has the result.
 */
describe('chat with apps on every provider that supports tools', () => {
  const fakes: Record<string, FakeUpstreamServer> = {};
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    fakes.openai = await startFakeOpenAI();
    fakes.anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-test' });
    fakes.gemini = await startFakeGemini();
    fakes.ollama = await startFakeOllama({ models: ['llama3.1:8b'] });
    fakes.searxng = await startFakeSearxng();
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        providers: [
          { id: 'openai', type: 'openai-compatible', baseURL: fakes.openai.url },
          { id: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.url, apiKey: 'sk-ant-test' },
          { id: 'gemini', type: 'gemini', baseURL: fakes.gemini.url, apiKey: 'gm-test' },
          { id: 'ollama', type: 'ollama', baseURL: fakes.ollama.url },
        ],
        models: [
          { id: 'gpt', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
          { id: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
          { id: 'gemini', provider: 'gemini', upstreamModel: 'gemini-2.5-flash' },
          { id: 'llama', provider: 'ollama', upstreamModel: 'llama3.1:8b' },
        ],
        webSearch: { type: 'searxng', baseURL: fakes.searxng.url, timeoutMs: 5000 },
      },
    });
    key = await server.createKey('prod');
  });
  afterAll(async () => {
    await server?.destroy();
    await Promise.all(Object.values(fakes).map((fake) => fake.close()));
  });

  it.each([
    ['gpt', 'openai'],
    ['claude', 'anthropic'],
    ['gemini', 'gemini'],
    ['llama', 'ollama'],
  ])('%s: the model calls web.search, gets the result, answers', async (model, provider) => {
    const before = fakes.searxng?.requests.length ?? 0;
    const response = await keyRequest(server.url, key, 'POST', '/v1/chat', {
      model,
      message: 'call tool for tides',
      apps: ['web'],
      stream: true,
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .trim()
      .split('\n\n')
      .map((block) => {
        const [eventLine = '', dataLine = ''] = block.split('\n');
        return { event: eventLine.replace('event: ', ''), data: JSON.parse(dataLine.replace('data: ', '')) };
      });
    expect(events.map((event) => event.event)).toEqual(['start', 'tool_call', 'tool_result', 'delta', 'done']);
    expect(events[1]?.data).toMatchObject({ app: 'web', skill: 'search', input: { query: 'call tool for tides' } });
    expect(events[2]?.data).toMatchObject({ app: 'web', skill: 'search', is_error: false });
    // The search really ran, and the model's second turn read its result.
    expect((fakes.searxng?.requests.length ?? 0) - before).toBe(1);
    // The model's second turn carried the skill's output back in the provider's own format.
    const output = String(events[2]?.data.output);
    expect(output.length).toBeGreaterThan(0);
    const lastTurn = JSON.stringify(fakes[provider]?.requests.at(-1)?.body);
    expect(lastTurn).toContain(JSON.stringify(output).slice(1, 40));
    expect(events[3]?.data.content.length).toBeGreaterThan(0);
  });
});
