import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { createUsageRepository } from '@switchyard/db';
import { type FakeUpstreamServer, startFakeAnthropic, startFakeOpenAI } from '@switchyard/testkit';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let devKey: string;
let client: OpenAI;
const fakes: Record<string, FakeUpstreamServer> = {};

function lastOpenAIBody<T>(): T {
  const last = fakes.openai?.requests.at(-1);
  if (!last) throw new Error('the fake OpenAI server received nothing');
  return last.body as T;
}

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
        { id: 'embed-openai', provider: 'openai', upstreamModel: 'text-embedding-3-small', kind: 'embedding' },
      ],
    },
  });
  devKey = await server.createKey('dev', { name: 'responses-client' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: devKey, maxRetries: 0 });
});

afterAll(async () => {
  await server?.destroy();
  for (const fake of Object.values(fakes)) await fake.close();
});

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  strict: false,
};

describe('the official openai client against /v1/responses', () => {
  it.each(['gpt', 'claude'])('%s answers a string input with instructions', async (model) => {
    const response = await client.responses.create({ model, instructions: 'Be brief.', input: `hello ${model}` });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe(`fake: hello ${model}`);
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('streams semantic events', async () => {
    const stream = await client.responses.create({ model: 'gpt', input: 'stream these words', stream: true });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toBe('fake: stream these words');
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.output_text.done');
    expect(types.at(-1)).toBe('response.completed');
    expect(completed?.usage?.output_tokens).toBeGreaterThan(0);
    const sequence = types.length;
    expect(sequence).toBeGreaterThan(5);
  });

  it('continues a stored conversation with previous_response_id, and retrieves it', async () => {
    const first = await client.responses.create({ model: 'gpt', input: 'my name is Ada' });
    const second = await client.responses.create({
      model: 'gpt',
      input: [{ role: 'user', content: 'what is my name' }],
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    const sent = lastOpenAIBody<{ messages: unknown[] }>().messages;
    expect(sent).toEqual([
      { role: 'user', content: 'my name is Ada' },
      { role: 'assistant', content: 'fake: my name is Ada' },
      { role: 'user', content: 'what is my name' },
    ]);
    const retrieved = await client.responses.retrieve(second.id);
    expect(retrieved.id).toBe(second.id);
    expect(retrieved.output_text).toBe(second.output_text);

    // A stream is stored before response.completed arrives.
    const stream = await client.responses.create({ model: 'gpt', input: 'streamed turn', stream: true });
    let streamedId = '';
    for await (const event of stream) if (event.type === 'response.completed') streamedId = event.response.id;
    const third = await client.responses.create({ model: 'gpt', input: 'next', previous_response_id: streamedId });
    expect(third.status).toBe('completed');
  });

  it('keeps responses to their owner and environment; store: false keeps nothing', async () => {
    const mine = await client.responses.create({ model: 'gpt', input: 'private' });
    const other = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await server.createKey('dev'), maxRetries: 0 });
    await expect(other.responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      other.responses.create({ model: 'gpt', input: 'x', previous_response_id: mine.id }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const prod = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await server.createKey('prod'), maxRetries: 0 });
    await expect(prod.responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const unstored = await client.responses.create({ model: 'gpt', input: 'forget me', store: false });
    await expect(client.responses.retrieve(unstored.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await client.responses.delete(mine.id);
    await expect(client.responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('calls function tools and takes function_call_output back, streamed and not', async () => {
    const first = await client.responses.create({ model: 'gpt', tools: [weatherTool], input: 'call tool for Lisbon' });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(JSON.parse(call.arguments)).toEqual({ query: 'call tool for Lisbon' });

    await client.responses.create({
      model: 'gpt',
      tools: [weatherTool],
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
    });
    const sent = lastOpenAIBody<{ messages: Array<Record<string, unknown>> }>().messages;
    expect(sent.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: call.call_id }] });
    expect(sent.at(-1)).toEqual({ role: 'tool', tool_call_id: call.call_id, content: 'sunny' });

    const stream = await client.responses.create({
      model: 'gpt',
      tools: [weatherTool],
      input: 'call tool for Porto',
      stream: true,
    });
    let argumentsText = '';
    let done: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') argumentsText += event.delta;
      if (event.type === 'response.completed') done = event.response;
    }
    expect(JSON.parse(argumentsText)).toEqual({ query: 'call tool for Porto' });
    expect(done?.output.some((item) => item.type === 'function_call')).toBe(true);
  });

  it('refuses built-in tools with a clear 400', async () => {
    const refused = await client.responses
      .create({ model: 'gpt', input: 'x', tools: [{ type: 'web_search_preview' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as Error).message).toContain('web_search_preview');
  });

  it('writes usage rows for /v1/responses in the dev database', async () => {
    await server.parts.usage.flush();
    const rows = await createUsageRepository(server.parts.databases.dev.db).list({ limit: 1000 });
    expect(
      rows.some((row) => row.route === '/v1/responses' && row.model === 'gpt' && (row.promptTokens ?? 0) > 0),
    ).toBe(true);
  });
});

describe('Vercel AI SDK and LangChain against /v1', () => {
  it('@ai-sdk/openai: generateText and streamText, on the Responses API and on chat completions', async () => {
    const provider = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: devKey });
    const viaResponses = await generateText({ model: provider('gpt'), prompt: 'vercel responses' });
    expect(viaResponses.text).toBe('fake: vercel responses');
    const viaChat = await generateText({ model: provider.chat('claude'), prompt: 'vercel chat' });
    expect(viaChat.text).toBe('fake: vercel chat');

    for (const model of [provider('gpt'), provider.chat('gpt')]) {
      const streamed = streamText({ model, prompt: 'vercel streamed' });
      let text = '';
      for await (const delta of streamed.textStream) text += delta;
      expect(text).toBe('fake: vercel streamed');
      expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
    }
  });

  it('@langchain/openai: ChatOpenAI (invoke, stream) and OpenAIEmbeddings', async () => {
    const configuration = { baseURL: `${server.url}/v1` };
    const chat = new ChatOpenAI({ model: 'gpt', apiKey: devKey, configuration, maxRetries: 0 });
    const answer = await chat.invoke('langchain hello');
    expect(answer.content).toBe('fake: langchain hello');
    let streamed = '';
    for await (const chunk of await chat.stream('langchain streamed')) streamed += String(chunk.content);
    expect(streamed).toBe('fake: langchain streamed');

    const embeddings = new OpenAIEmbeddings({ model: 'embed-openai', apiKey: devKey, configuration, maxRetries: 0 });
    const vectors = await embeddings.embedDocuments(['one', 'two']);
    expect(vectors).toHaveLength(2);
    expect(vectors[0]?.length).toBeGreaterThan(0);
    expect(await embeddings.embedQuery('one')).toEqual(vectors[0]);
  });
});
