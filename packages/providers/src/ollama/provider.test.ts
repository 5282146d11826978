import { createServer } from 'node:net';
import {
  closeAfterEach,
  collectChunks,
  type FakeOllamaServer,
  startFakeOllama,
  streamedText,
  switchyardFailure,
} from '@switchyard/testkit';
import { describe, expect, it, vi } from 'vitest';
import type { ChatCompletionChunk, ChatRequest, ProviderAdapter, ProviderConfig } from '../spec';
import { createOllamaProvider } from '.';

const track = closeAfterEach();

async function setup(
  fakeOptions: Parameters<typeof startFakeOllama>[0] = {},
  config: Partial<ProviderConfig> = {},
): Promise<{ fake: FakeOllamaServer; provider: ProviderAdapter }> {
  const fake = await startFakeOllama(fakeOptions);
  track(fake);
  const provider = createOllamaProvider({ id: 'local-ollama', type: 'ollama', baseURL: fake.url, ...config });
  track(provider);
  return { fake, provider };
}

const request: ChatRequest = {
  model: 'llama3.1:8b',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hello there switchyard' },
  ],
};

describe('ollama provider', () => {
  it('answers a chat and translates the request to the native protocol', async () => {
    const { fake, provider } = await setup();
    const completion = await provider.chat({
      ...request,
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 64,
      stop: 'END',
      seed: 42,
      response_format: { type: 'json_object' },
    });

    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('llama3.1:8b');
    expect(completion.choices[0]?.message).toEqual({
      role: 'assistant',
      content: '{"answer":"fake: hello there switchyard"}',
    });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });

    const received = fake.requests[0];
    expect(received).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.body).toEqual({
      model: 'llama3.1:8b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there switchyard' },
      ],
      stream: false,
      options: { temperature: 0.3, top_p: 0.9, num_predict: 64, stop: ['END'], seed: 42 },
      format: 'json',
    });
  });

  it('sends data: URL images as base64 and maps developer to system', async () => {
    const { fake, provider } = await setup();
    const pixel = Buffer.from('fake-png-bytes').toString('base64');
    await provider.chat({
      model: 'llama3.1:8b',
      max_completion_tokens: 10,
      messages: [
        { role: 'developer', content: 'Describe images.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${pixel}` } },
          ],
        },
      ],
    });
    expect(fake.requests[0]?.body).toMatchObject({
      messages: [
        { role: 'system', content: 'Describe images.' },
        { role: 'user', content: 'what is this?', images: [pixel] },
      ],
      options: { num_predict: 10 },
    });
  });

  it('refuses remote image URLs instead of fetching them', async () => {
    const { fake, provider } = await setup();
    const error = await switchyardFailure(
      provider.chat({
        model: 'llama3.1:8b',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/x.png' } }] },
        ],
      }),
    );
    expect(error.code).toBe('SY_ERR_VALIDATION');
    expect(fake.requests).toHaveLength(0);
  });

  it('maps done_reason length to finish_reason length', async () => {
    const { provider } = await setup();
    const completion = await provider.chat({ ...request, max_tokens: 2 });
    expect(completion.choices[0]?.message.content).toBe('fake: hello');
    expect(completion.choices[0]?.finish_reason).toBe('length');
    const chunks = await collectChunks(provider.streamChat({ ...request, max_tokens: 2 }));
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
  });

  it('streams NDJSON split across TCP packets into OpenAI chunks with one id, role first and usage last', async () => {
    const { fake, provider } = await setup({ fragmentWrites: true });
    const chunks = await collectChunks(provider.streamChat(request));

    expect(streamedText(chunks)).toBe('fake: hello there switchyard');
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.slice(1).every((chunk) => chunk.choices[0]?.delta.role === undefined)).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks[0]?.id).toMatch(/^chatcmpl-/);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    const last = chunks.at(-1);
    expect(last?.choices[0]?.finish_reason).toBe('stop');
    expect(last?.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(fake.requests[0]?.body).toMatchObject({ stream: true });
  });

  it('lists models from /api/tags', async () => {
    const { fake, provider } = await setup();
    expect(await provider.listModels()).toEqual([{ id: 'llama3.1:8b' }, { id: 'qwen2.5:14b-instruct' }]);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/tags' });
  });

  it('maps an unknown model to SY_ERR_MODEL_NOT_FOUND', async () => {
    const { provider } = await setup();
    const error = await switchyardFailure(provider.chat({ ...request, model: 'mistral:7b' }));
    expect(error.code).toBe('SY_ERR_MODEL_NOT_FOUND');
    expect(error.message).toContain('mistral:7b');
  });

  it('maps 400, 429 and 500 answers', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'error', status: 400 });
    const badRequest = await switchyardFailure(provider.chat(request));
    expect(badRequest).toMatchObject({ code: 'SY_ERR_UPSTREAM_BAD_REQUEST', status: 400, isRetryable: false });
    expect(badRequest.message).toContain('invalid options');

    fake.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '3' } });
    const limited = await switchyardFailure(provider.chat(request));
    expect(limited).toMatchObject({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED', retryAfterSeconds: 3, isRetryable: true });

    fake.setBehaviour({ kind: 'error', status: 500 });
    const crashed = await switchyardFailure(collectChunks(provider.streamChat(request)));
    expect(crashed).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: true });
    expect(crashed.message).not.toContain('llama runner');
  });

  it('maps a refused connection to SY_ERR_UPSTREAM_UNAVAILABLE', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address === null || typeof address === 'string') throw new Error('no port');
    const provider = createOllamaProvider({
      id: 'local-ollama',
      type: 'ollama',
      baseURL: `http://127.0.0.1:${address.port}`,
    });
    track(provider);
    const error = await switchyardFailure(collectChunks(provider.streamChat(request)));
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM_UNAVAILABLE', status: 503, isRetryable: true });
  });

  it('times out a hanging upstream', async () => {
    const { fake, provider } = await setup({}, { timeoutMs: 200 });
    fake.setBehaviour({ kind: 'hang' });
    const error = await switchyardFailure(provider.listModels());
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM_TIMEOUT', status: 504, isRetryable: true });
    await vi.waitFor(() => expect(fake.abortedRequests).toBe(1));
  });

  it('throws a retryable error when the stream is cut before the done line', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'cut-stream', afterChunks: 2 });
    const received: ChatCompletionChunk[] = [];
    const error = await switchyardFailure(
      (async () => {
        for await (const chunk of provider.streamChat(request)) received.push(chunk);
      })(),
    );
    expect(streamedText(received)).toBe('fake: hello ');
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', isRetryable: true });
  });

  it('maps an error line inside the stream', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'stream-error', afterChunks: 1, message: 'model runner crashed' });
    const error = await switchyardFailure(collectChunks(provider.streamChat(request)));
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: true });
    expect(error.message).toContain('model runner crashed');
  });

  it('refuses an answer of the wrong shape with a non-retryable error that names the field', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({
      kind: 'error',
      status: 200,
      body: { model: 'llama3.2', message: { role: 'assistant', content: ['private text'] }, done: true },
    });
    const error = await switchyardFailure(provider.chat(request));
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: false });
    expect(error.message).toContain('/message/content must be string');
    expect(error.message).not.toContain('private text');
  });

  it('stops quickly on caller abort mid-stream and closes the upstream request', async () => {
    const { fake, provider } = await setup({ chunkDelayMs: 100 });
    const controller = new AbortController();
    const long: ChatRequest = {
      model: 'llama3.1:8b',
      messages: [{ role: 'user', content: 'word '.repeat(50).trim() }],
    };
    let received = 0;
    let abortedAt = 0;
    const outcome = await (async () => {
      for await (const _chunk of provider.streamChat(long, { signal: controller.signal })) {
        received += 1;
        if (received === 2) {
          abortedAt = Date.now();
          controller.abort();
        }
      }
    })().then(
      () => 'finished',
      (error: unknown) => error,
    );
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect((outcome as Error).name).toBe('AbortError');
    expect(received).toBe(2);
    await vi.waitFor(() => expect(fake.abortedRequests).toBe(1));
  });
});
