import {
  closeAfterEach,
  collectChunks,
  type FakeAnthropicServer,
  startFakeAnthropic,
  switchyardFailure,
} from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk, ChatRequest, ProviderAdapter, ProviderConfig } from '../spec';
import { createAnthropicProvider } from '.';
import { createAnthropicStreamTranslator, fromAnthropicMessage } from './translate';

const apiKey = 'sk-ant-test-secret-key-1234567890';
const track = closeAfterEach();

async function setup(
  fakeOptions: Parameters<typeof startFakeAnthropic>[0] = {},
  config: Partial<ProviderConfig> = {},
): Promise<{ fake: FakeAnthropicServer; provider: ProviderAdapter }> {
  const fake = await startFakeAnthropic({ apiKey, ...fakeOptions });
  track(fake);
  const provider = createAnthropicProvider({
    id: 'anthropic',
    type: 'anthropic',
    baseURL: fake.url,
    apiKey,
    ...config,
  });
  track(provider);
  return { fake, provider };
}

const request: ChatRequest = {
  model: 'claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hello there switchyard' },
  ],
};

const context = { providerId: 'anthropic' };

describe('anthropic provider', () => {
  it('answers a chat with the key and version headers and a default max_tokens', async () => {
    const { fake, provider } = await setup({}, { headers: { 'anthropic-beta': 'test-beta' } });
    const completion = await provider.chat(request);

    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('claude-sonnet-4-5');
    expect(completion.choices[0]?.message).toEqual({ role: 'assistant', content: 'fake: hello there switchyard' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });

    const received = fake.requests[0];
    expect(received).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(received?.headers['x-api-key']).toBe(apiKey);
    expect(received?.headers['anthropic-version']).toBe('2023-06-01');
    expect(received?.headers['anthropic-beta']).toBe('test-beta');
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there switchyard' }] }],
      stream: false,
    });
  });

  it('translates sampling options, developer messages and JSON mode', async () => {
    const { fake, provider } = await setup();
    await provider.chat({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'developer', content: 'Answer in JSON.' },
        { role: 'user', content: 'hello' },
      ],
      temperature: 1.5,
      top_p: 0.9,
      max_completion_tokens: 64,
      stop: 'END',
      user: 'user-42',
      response_format: { type: 'json_object' },
    });
    expect(fake.requests[0]?.body).toMatchObject({
      max_tokens: 64,
      temperature: 1,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
    });
    const system = (fake.requests[0]?.body as { system?: string } | undefined)?.system;
    expect(system).toMatch(/^Answer in JSON\.\n\n/);
    expect(system).toContain('valid JSON object');
  });

  it('translates tools, tool choice and a tool-call history with results merged into one user turn', async () => {
    const { fake, provider } = await setup();
    await provider.chat({
      model: 'claude-sonnet-4-5',
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: {} } },
        },
        { type: 'function', function: { name: 'ping' } },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      messages: [
        { role: 'user', content: 'look up two things' },
        {
          role: 'assistant',
          content: 'Looking.',
          tool_calls: [
            { id: 'call_one', type: 'function', function: { name: 'lookup', arguments: '{"query":"a"}' } },
            { id: 'call.two/x', type: 'function', function: { name: 'lookup', arguments: '{"query":"b"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_one', content: 'result a' },
        { role: 'tool', tool_call_id: 'call.two/x', content: 'result b' },
      ],
    });
    expect(fake.requests[0]?.body).toMatchObject({
      tools: [
        { name: 'lookup', description: 'Looks up', input_schema: { type: 'object', properties: {} } },
        { name: 'ping', input_schema: { type: 'object', properties: {} } },
      ],
      tool_choice: { type: 'tool', name: 'lookup', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'look up two things' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Looking.' },
            { type: 'tool_use', id: 'call_one', name: 'lookup', input: { query: 'a' } },
            { type: 'tool_use', id: 'call_two_x', name: 'lookup', input: { query: 'b' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_one', content: 'result a' },
            { type: 'tool_result', tool_use_id: 'call_two_x', content: 'result b' },
          ],
        },
      ],
    });
  });

  it('maps the OpenAI tool_choice strings', async () => {
    const { fake, provider } = await setup();
    const tools = [{ type: 'function', function: { name: 'lookup' } }];
    for (const choice of ['auto', 'none', 'required']) {
      await provider.chat({ ...request, tools, tool_choice: choice });
    }
    expect(fake.requests.map((received) => (received.body as { tool_choice: unknown }).tool_choice)).toEqual([
      { type: 'auto' },
      { type: 'none' },
      { type: 'any' },
    ]);
  });

  it('sends data: URL images as base64 blocks and refuses remote URLs', async () => {
    const { fake, provider } = await setup();
    const pixel = Buffer.from('fake-png-bytes').toString('base64');
    await provider.chat({
      model: 'claude-sonnet-4-5',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${pixel}` } },
            { type: 'image_url', image_url: { url: 'data:image/svg+xml,%3Csvg%2F%3E' } },
          ],
        },
      ],
    });
    expect((fake.requests[0]?.body as { messages?: unknown[] } | undefined)?.messages?.[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pixel } },
        {
          type: 'image',
          source: { type: 'base64', media_type: 'image/svg+xml', data: Buffer.from('<svg/>').toString('base64') },
        },
      ],
    });

    const error = await switchyardFailure(
      provider.chat({
        model: 'claude-sonnet-4-5',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/x.png' } }] },
        ],
      }),
    );
    expect(error.code).toBe('SY_ERR_VALIDATION');
    expect(fake.requests).toHaveLength(1);
  });

  it('streams SSE split across TCP packets into OpenAI chunks with one id, role first and usage last', async () => {
    const { fake, provider } = await setup({ fragmentWrites: true });
    const chunks = await collectChunks(provider.streamChat(request));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('fake: hello there switchyard');
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    const last = chunks.at(-1);
    expect(last?.choices[0]?.finish_reason).toBe('stop');
    expect(last?.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, max_tokens: 4096 });
  });

  it('streams a tool call as OpenAI tool_calls deltas', async () => {
    const { provider } = await setup();
    const chunks = await collectChunks(
      provider.streamChat({
        model: 'claude-sonnet-4-5',
        tools: [{ type: 'function', function: { name: 'lookup' } }],
        messages: [{ role: 'user', content: 'call tool now' }],
      }),
    );
    const pieces = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(pieces[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'lookup', arguments: '' } });
    expect(pieces[0]?.id).toMatch(/^toolu_/);
    expect(pieces.slice(1).every((piece) => piece.id === undefined && piece.index === 0)).toBe(true);
    expect(pieces.map((piece) => piece.function?.arguments ?? '').join('')).toBe('{"query":"call tool now"}');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('lists models', async () => {
    const { fake, provider } = await setup();
    expect(await provider.listModels()).toEqual([
      { id: 'claude-sonnet-4-5', ownedBy: 'anthropic' },
      { id: 'claude-haiku-4-5', ownedBy: 'anthropic' },
    ]);
    expect(fake.requests[0]?.path).toBe('/v1/models?limit=1000');
  });

  it('maps an unknown model to SY_ERR_MODEL_NOT_FOUND', async () => {
    const { provider } = await setup();
    const error = await switchyardFailure(provider.chat({ ...request, model: 'claude-nope' }));
    expect(error).toMatchObject({ code: 'SY_ERR_MODEL_NOT_FOUND', status: 404, isRetryable: false });
  });

  it('maps 529 overloaded to a retryable error and a bad key to a non-retryable 502 without the key', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'error', status: 529 });
    expect(await switchyardFailure(provider.chat(request))).toMatchObject({
      code: 'SY_ERR_UPSTREAM',
      isRetryable: true,
    });

    const wrongKey = 'sk-ant-wrong-key-abcdefghijkl';
    const stranger = createAnthropicProvider({
      id: 'anthropic',
      type: 'anthropic',
      baseURL: fake.url,
      apiKey: wrongKey,
    });
    track(stranger);
    fake.setBehaviour({ kind: 'ok' });
    const error = await switchyardFailure(stranger.chat(request));
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: false });
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(wrongKey);
  });

  it('maps an error event inside the stream', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'stream-error', afterChunks: 3, message: 'Overloaded' });
    const error = await switchyardFailure(collectChunks(provider.streamChat(request)));
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: true });
    expect(error.message).toContain('Overloaded');
    expect(error.details?.upstreamType).toBe('overloaded_error');
  });

  it('throws a retryable error when the stream is cut after message_delta but before message_stop', async () => {
    const { fake, provider } = await setup();
    // message_start, block start, ping, 4 deltas, block stop, message_delta: 9 frames, then the cut.
    fake.setBehaviour({ kind: 'cut-stream', afterChunks: 9 });
    const received: ChatCompletionChunk[] = [];
    const error = await switchyardFailure(
      (async () => {
        for await (const chunk of provider.streamChat(request)) received.push(chunk);
      })(),
    );
    expect(received.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      'fake: hello there switchyard',
    );
    expect(received.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', isRetryable: true });
  });
});

describe('anthropic translation', () => {
  it('counts cached prompt tokens and maps stop reasons', () => {
    const completion = fromAnthropicMessage(
      {
        id: 'msg_1',
        type: 'message',
        model: 'claude-sonnet-4-5',
        content: [
          { type: 'thinking', thinking: 'hidden' },
          { type: 'text', text: 'cut' },
        ],
        stop_reason: 'max_tokens',
        usage: { input_tokens: 3, cache_read_input_tokens: 10, cache_creation_input_tokens: 2, output_tokens: 1 },
      },
      request,
      context,
    );
    expect(completion.choices[0]?.message.content).toBe('cut');
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage).toEqual({ prompt_tokens: 15, completion_tokens: 1, total_tokens: 16 });

    const refused = fromAnthropicMessage({ content: [], stop_reason: 'refusal' }, request, context);
    expect(refused.choices[0]?.finish_reason).toBe('content_filter');
  });

  it('refuses stream events and answers of the wrong shape with a non-retryable error', () => {
    const translator = createAnthropicStreamTranslator(request, context);
    const event = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: { secret: 1 } } };
    expect(() => translator.translate(JSON.stringify(event))).toThrowError(
      expect.objectContaining({
        code: 'SY_ERR_UPSTREAM',
        isRetryable: false,
        message: expect.stringContaining('/delta/text must be string'),
      }),
    );
    expect(() => fromAnthropicMessage({ type: 'message', content: 'hello' }, request, context)).toThrowError(
      expect.objectContaining({ isRetryable: false, message: expect.stringContaining('/content must be array') }),
    );
  });

  it('turns a rate_limit_error event into SY_ERR_UPSTREAM_RATE_LIMITED', () => {
    const translator = createAnthropicStreamTranslator(request, context);
    expect(() =>
      translator.translate(
        JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }),
      ),
    ).toThrowError(expect.objectContaining({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED' }));
  });
});
