import {
  closeAfterEach,
  collectChunks,
  type FakeGeminiServer,
  fakeThoughtSignature,
  startFakeGemini,
  switchyardFailure,
} from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk, ChatRequest, ProviderAdapter, ProviderConfig } from '../spec';
import { createGeminiProvider } from '.';
import { fromGeminiResponse, geminiModelResource } from './translate';

const apiKey = 'AIzaTestSecretKey1234567890';
const track = closeAfterEach();

async function setup(
  fakeOptions: Parameters<typeof startFakeGemini>[0] = {},
  config: Partial<ProviderConfig> = {},
): Promise<{ fake: FakeGeminiServer; provider: ProviderAdapter }> {
  const fake = await startFakeGemini({ apiKey, ...fakeOptions });
  track(fake);
  const provider = createGeminiProvider({ id: 'gemini', type: 'gemini', baseURL: fake.url, apiKey, ...config });
  track(provider);
  return { fake, provider };
}

const request: ChatRequest = {
  model: 'gemini-2.5-flash',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hello there switchyard' },
  ],
};

const context = { providerId: 'gemini' };
const lookupTool = {
  type: 'function',
  function: {
    name: 'lookup',
    description: 'Looks up',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, additionalProperties: false },
  },
};

describe('gemini provider', () => {
  it('answers a chat and translates the request to generateContent', async () => {
    const { fake, provider } = await setup();
    const completion = await provider.chat({
      ...request,
      messages: [...request.messages, { role: 'assistant', content: 'hi' }, { role: 'user', content: 'again please' }],
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 64,
      stop: 'END',
      seed: 42,
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('gemini-2.5-flash');
    expect(completion.choices[0]?.message).toEqual({ role: 'assistant', content: 'fake: again please' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 8, completion_tokens: 3, total_tokens: 11 });

    const received = fake.requests[0];
    expect(received).toMatchObject({ method: 'POST', path: '/v1beta/models/gemini-2.5-flash:generateContent' });
    expect(received?.headers['x-goog-api-key']).toBe(apiKey);
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'hello there switchyard' }] },
        { role: 'model', parts: [{ text: 'hi' }] },
        { role: 'user', parts: [{ text: 'again please' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 0.3, topP: 0.9, maxOutputTokens: 64, stopSequences: ['END'], seed: 42 },
    });
  });

  it('asks for JSON with responseMimeType and passes a JSON schema through', async () => {
    const { fake, provider } = await setup();
    const completion = await provider.chat({ ...request, response_format: { type: 'json_object' } });
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({
      answer: 'fake: hello there switchyard',
    });
    const schema = { type: 'object', properties: { answer: { type: 'string' } } };
    await provider.chat({ ...request, response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } });
    expect(fake.requests[1]?.body).toMatchObject({
      generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema },
    });
  });

  it('sends data: URL images as inlineData and refuses remote URLs', async () => {
    const { fake, provider } = await setup();
    const pixel = Buffer.from('fake-jpeg-bytes').toString('base64');
    await provider.chat({
      model: 'gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${pixel}` } },
          ],
        },
      ],
    });
    expect(fake.requests[0]?.body).toMatchObject({
      contents: [
        { role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/jpeg', data: pixel } }] },
      ],
    });
    const error = await switchyardFailure(
      provider.chat({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/x.png' } }] }],
      }),
    );
    expect(error.code).toBe('SY_ERR_VALIDATION');
    expect(fake.requests).toHaveLength(1);
  });

  it('declares tools with their JSON schema and maps tool_choice', async () => {
    const { fake, provider } = await setup();
    await provider.chat({
      ...request,
      tools: [lookupTool],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
    });
    await provider.chat({ ...request, tools: [lookupTool], tool_choice: 'none' });
    expect(fake.requests[0]?.body).toMatchObject({
      tools: [
        {
          functionDeclarations: [
            { name: 'lookup', description: 'Looks up', parametersJsonSchema: lookupTool.function.parameters },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } },
    });
    expect(fake.requests[1]?.body).toMatchObject({ toolConfig: { functionCallingConfig: { mode: 'NONE' } } });
  });

  it('hands a function call’s thought signature back and names the function in its response', async () => {
    const { fake, provider } = await setup();
    const ask: ChatRequest = {
      model: 'gemini-2.5-flash',
      tools: [lookupTool],
      messages: [{ role: 'user', content: 'call tool for Lisbon' }],
    };
    const first = await provider.chat(ask);
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(first.choices[0]?.message.content).toBeNull();
    if (call === undefined) throw new Error('no tool call');

    const foreign = {
      id: 'toolu_from_another_model',
      type: 'function' as const,
      function: { name: 'lookup', arguments: '{}' },
    };
    await provider.chat({
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', content: null, tool_calls: [call, foreign] },
        { role: 'tool', tool_call_id: call.id, content: '{"weather":"sunny"}' },
        { role: 'tool', tool_call_id: foreign.id, content: 'plain text' },
      ],
    });
    expect((fake.requests[1]?.body as { contents?: unknown[] } | undefined)?.contents?.slice(1)).toEqual([
      {
        role: 'model',
        parts: [
          {
            functionCall: { name: 'lookup', args: { query: 'call tool for Lisbon' } },
            thoughtSignature: fakeThoughtSignature,
          },
          { functionCall: { name: 'lookup', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'lookup', response: { weather: 'sunny' } } },
          { functionResponse: { name: 'lookup', response: { result: 'plain text' } } },
        ],
      },
    ]);
  });

  it('refuses a tool result for a call it cannot name', async () => {
    const { fake, provider } = await setup();
    const error = await switchyardFailure(
      provider.chat({
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'tool', tool_call_id: 'call_unknown', content: 'x' },
        ],
      }),
    );
    expect(error.code).toBe('SY_ERR_VALIDATION');
    expect(fake.requests).toHaveLength(0);
  });

  it('streams SSE split across TCP packets into OpenAI chunks with one id, role first and usage last', async () => {
    const { fake, provider } = await setup({ fragmentWrites: true });
    const chunks = await collectChunks(provider.streamChat(request));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('fake: hello there switchyard');
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.slice(1).every((chunk) => chunk.choices[0]?.delta.role === undefined)).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    const last = chunks.at(-1);
    expect(last?.choices[0]?.finish_reason).toBe('stop');
    expect(last?.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(fake.requests[0]?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('lists models that can chat or embed, without the models/ prefix', async () => {
    const { fake, provider } = await setup();
    expect((await provider.listModels()).map((model) => model.id)).toEqual([
      'gemini-2.5-flash',
      'gemini-2.5-pro',
      'gemini-embedding-001',
      'text-embedding-004',
    ]);
    expect(fake.requests[0]?.path).toBe('/v1beta/models?pageSize=1000');
  });

  it('embeds a batch with batchEmbedContents', async () => {
    const { fake, provider } = await setup();
    const embed = provider.embed;
    if (embed === undefined) throw new Error('no embed');
    const result = await embed({ model: 'gemini-embedding-001', input: ['a b', 'c'], dimensions: 4 });
    expect(result.data.map((entry) => entry.embedding.length)).toEqual([4, 4]);
    expect(result.model).toBe('gemini-embedding-001');
    expect(fake.requests[0]).toMatchObject({
      path: '/v1beta/models/gemini-embedding-001:batchEmbedContents',
      body: {
        requests: [
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a b' }] }, outputDimensionality: 4 },
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'c' }] }, outputDimensionality: 4 },
        ],
      },
    });
  });

  it('maps an unknown model, a bad key and an overloaded model', async () => {
    const { fake, provider } = await setup();
    expect(await switchyardFailure(provider.chat({ ...request, model: 'gemini-nope' }))).toMatchObject({
      code: 'SY_ERR_MODEL_NOT_FOUND',
      isRetryable: false,
    });

    const wrongKey = 'AIzaWrongKey0987654321';
    const stranger = createGeminiProvider({ id: 'gemini', type: 'gemini', baseURL: fake.url, apiKey: wrongKey });
    track(stranger);
    const badKey = await switchyardFailure(stranger.chat(request));
    expect(badKey).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: false });
    expect(JSON.stringify({ message: badKey.message, details: badKey.details })).not.toContain(wrongKey);

    fake.setBehaviour({ kind: 'error', status: 503 });
    expect(await switchyardFailure(collectChunks(provider.streamChat(request)))).toMatchObject({
      code: 'SY_ERR_UPSTREAM',
      isRetryable: true,
    });
  });

  it('throws a retryable error when the stream ends without a finish reason', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'cut-stream', afterChunks: 3 });
    const received: ChatCompletionChunk[] = [];
    const error = await switchyardFailure(
      (async () => {
        for await (const chunk of provider.streamChat(request)) received.push(chunk);
      })(),
    );
    expect(received.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('fake: hello there ');
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', isRetryable: true });
  });
});

describe('gemini translation', () => {
  it('maps safety stops and blocked prompts to content_filter, and counts thinking as output', () => {
    const stopped = fromGeminiResponse(
      {
        candidates: [
          { content: { parts: [{ text: 'thinking…', thought: true }, { text: 'partial' }] }, finishReason: 'SAFETY' },
        ],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1, thoughtsTokenCount: 6, totalTokenCount: 11 },
      },
      request,
      context,
    );
    expect(stopped.choices[0]?.message.content).toBe('partial');
    expect(stopped.choices[0]?.finish_reason).toBe('content_filter');
    expect(stopped.usage).toEqual({ prompt_tokens: 4, completion_tokens: 7, total_tokens: 11 });

    const blocked = fromGeminiResponse({ promptFeedback: { blockReason: 'SAFETY' } }, request, context);
    expect(blocked.choices[0]?.message.content).toBe('');
    expect(blocked.choices[0]?.finish_reason).toBe('content_filter');

    const truncated = fromGeminiResponse(
      { candidates: [{ content: { parts: [{ text: 'a' }] }, finishReason: 'MAX_TOKENS' }] },
      request,
      context,
    );
    expect(truncated.choices[0]?.finish_reason).toBe('length');
  });

  it('refuses an answer of the wrong shape with a non-retryable error that names the field', () => {
    const answer = { candidates: [{ content: { parts: [{ text: 'fine' }, { functionCall: { args: {} } }] } }] };
    expect(() => fromGeminiResponse(answer, request, context)).toThrowError(
      expect.objectContaining({
        code: 'SY_ERR_UPSTREAM',
        isRetryable: false,
        message: expect.stringContaining(
          '/candidates/0/content/parts/1/functionCall must have required properties name',
        ),
      }),
    );
  });

  it('addresses plain model names under models/ and tuned models by their full name', () => {
    expect(geminiModelResource('gemini-2.5-flash')).toBe('models/gemini-2.5-flash');
    expect(geminiModelResource('tunedModels/my-model-1')).toBe('tunedModels/my-model-1');
  });
});
