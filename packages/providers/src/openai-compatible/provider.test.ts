import { isSwitchyardError } from '@switchyard/core';
import {
  closeAfterEach,
  closedPortUrl,
  collectChunks,
  type FakeOpenAIServer,
  startFakeOpenAI,
  streamedText,
  switchyardFailure,
} from '@switchyard/testkit';
import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';
import type { ChatCompletionChunk, ChatRequest, ProviderAdapter, ProviderConfig } from '../spec';
import { createOpenAICompatibleProvider } from '.';
import { fromUpstreamChunk } from './translate';

const apiKey = 'sk-test-secret-key-1234567890';
const track = closeAfterEach();

async function setup(
  fakeOptions: Parameters<typeof startFakeOpenAI>[0] = {},
  config: Partial<ProviderConfig> = {},
): Promise<{ fake: FakeOpenAIServer; provider: ProviderAdapter }> {
  const fake = await startFakeOpenAI({ apiKey, ...fakeOptions });
  track(fake);
  const provider = createOpenAICompatibleProvider({
    id: 'openai',
    type: 'openai-compatible',
    baseURL: fake.url,
    apiKey,
    ...config,
  });
  track(provider);
  return { fake, provider };
}

const request: ChatRequest = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hello there switchyard' },
  ],
};

describe('openai-compatible provider', () => {
  it('answers a chat and sends the key, model and extra headers upstream', async () => {
    const { fake, provider } = await setup({}, { headers: { 'x-tenant': 'switchyard-test' } });
    const completion = await provider.chat({ ...request, temperature: 0.2, max_tokens: 50 });

    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0]?.message.content).toBe('fake: hello there switchyard');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });

    const received = fake.requests[0];
    expect(received?.method).toBe('POST');
    expect(received?.path).toBe('/v1/chat/completions');
    expect(received?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(received?.headers['x-tenant']).toBe('switchyard-test');
    expect(received?.body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 50, stream: false });
    expect(received?.body).not.toHaveProperty('stream_options');
  });

  it('reports a truncated answer as finish_reason length', async () => {
    const { provider } = await setup();
    const completion = await provider.chat({ ...request, max_tokens: 2 });
    expect(completion.choices[0]?.message.content).toBe('fake: hello');
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });

  it('streams chunks whose content adds up to the answer, with usage last', async () => {
    const { fake, provider } = await setup({ fragmentWrites: true });
    const chunks = await collectChunks(
      provider.streamChat({ ...request, stream_options: { include_obfuscation: false } }),
    );

    expect(streamedText(chunks)).toBe('fake: hello there switchyard');
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(fake.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
    });
  });

  it('reuses one keep-alive connection for consecutive requests', async () => {
    const { fake, provider } = await setup();
    // undici hands a finished connection back to the pool on a later tick, so back-to-back
    // calls in one tick may open a second one; a short pause shows the real reuse.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
    await provider.chat(request);
    await settle();
    await collectChunks(provider.streamChat(request));
    await settle();
    await provider.chat(request);
    expect(fake.requests).toHaveLength(3);
    expect(fake.openConnections).toBe(1);
  });

  it('lists the upstream models', async () => {
    const { fake, provider } = await setup({ models: ['gpt-4o-mini', 'gpt-4.1'] });
    expect(await provider.listModels()).toEqual([
      { id: 'gpt-4o-mini', ownedBy: 'system' },
      { id: 'gpt-4.1', ownedBy: 'system' },
    ]);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it('maps 400 to SY_ERR_UPSTREAM_BAD_REQUEST with the upstream message', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'error', status: 400 });
    const error = await switchyardFailure(provider.chat(request));
    expect(error.code).toBe('SY_ERR_UPSTREAM_BAD_REQUEST');
    expect(error.status).toBe(400);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain("Invalid value for 'temperature'");
  });

  it('maps an unknown model to SY_ERR_MODEL_NOT_FOUND', async () => {
    const { provider } = await setup();
    const error = await switchyardFailure(provider.chat({ ...request, model: 'gpt-nope' }));
    expect(error.code).toBe('SY_ERR_MODEL_NOT_FOUND');
    expect(error.status).toBe(404);
    expect(error.isRetryable).toBe(false);
  });

  it('maps 401 to a non-retryable 502 that never echoes the key', async () => {
    const fake = await startFakeOpenAI({ apiKey });
    track(fake);
    const wrongKey = 'sk-wrong-key-abcdefghijklmnop';
    const provider = createOpenAICompatibleProvider({
      id: 'openai',
      type: 'openai-compatible',
      baseURL: fake.url,
      apiKey: wrongKey,
    });
    track(provider);
    fake.setBehaviour({
      kind: 'error',
      status: 401,
      body: {
        error: { message: `Incorrect API key provided: ${wrongKey}`, type: 'invalid_request_error', code: null },
      },
    });
    const error = await switchyardFailure(provider.chat(request));
    expect(error.code).toBe('SY_ERR_UPSTREAM');
    expect(error.status).toBe(502);
    expect(error.isRetryable).toBe(false);
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(wrongKey);
  });

  it('maps 429 to SY_ERR_UPSTREAM_RATE_LIMITED with Retry-After in seconds or as a date', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
    const inSeconds = await switchyardFailure(provider.chat(request));
    expect(inSeconds.code).toBe('SY_ERR_UPSTREAM_RATE_LIMITED');
    expect(inSeconds.status).toBe(429);
    expect(inSeconds.isRetryable).toBe(true);
    expect(inSeconds.retryAfterSeconds).toBe(7);
    expect(inSeconds.message).not.toContain('org-fake');

    fake.setBehaviour({
      kind: 'error',
      status: 429,
      headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() },
    });
    const asDate = await switchyardFailure(provider.chat(request));
    expect(asDate.retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(asDate.retryAfterSeconds).toBeLessThanOrEqual(31);
  });

  it('maps 500 to a retryable SY_ERR_UPSTREAM without the upstream body', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({
      kind: 'error',
      status: 500,
      body: { error: { message: 'stack trace at /srv/internal.py:42' } },
    });
    const error = await switchyardFailure(provider.chat(request));
    expect(error.code).toBe('SY_ERR_UPSTREAM');
    expect(error.status).toBe(502);
    expect(error.isRetryable).toBe(true);
    expect(error.message).not.toContain('internal.py');
  });

  it('maps a refused connection to SY_ERR_UPSTREAM_UNAVAILABLE', async () => {
    const provider = createOpenAICompatibleProvider({
      id: 'openai',
      type: 'openai-compatible',
      baseURL: await closedPortUrl('/v1'),
    });
    track(provider);
    const error = await switchyardFailure(provider.chat(request));
    expect(error.code).toBe('SY_ERR_UPSTREAM_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.isRetryable).toBe(true);
    const listError = await switchyardFailure(provider.listModels());
    expect(listError.code).toBe('SY_ERR_UPSTREAM_UNAVAILABLE');
  });

  it('maps a connection reset before the answer to SY_ERR_UPSTREAM_UNAVAILABLE', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'cut-stream', afterChunks: 0 });
    const error = await switchyardFailure(provider.chat(request));
    expect(error.code).toBe('SY_ERR_UPSTREAM_UNAVAILABLE');
  });

  it('times out a hanging upstream with SY_ERR_UPSTREAM_TIMEOUT and aborts the request', async () => {
    const { fake, provider } = await setup({}, { timeoutMs: 200 });
    fake.setBehaviour({ kind: 'hang' });
    const started = Date.now();
    const error = await switchyardFailure(provider.chat(request));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe('SY_ERR_UPSTREAM_TIMEOUT');
    expect(error.status).toBe(504);
    expect(error.isRetryable).toBe(true);
    await vi.waitFor(() => expect(fake.abortedRequests).toBe(1));

    const streamError = await switchyardFailure(collectChunks(provider.streamChat(request)));
    expect(streamError.code).toBe('SY_ERR_UPSTREAM_TIMEOUT');
  });

  it('waits out a slow upstream within timeoutMs and times out beyond it', async () => {
    const { fake, provider } = await setup({}, { timeoutMs: 250 });
    fake.setBehaviour({ kind: 'delay', ms: 50 });
    expect((await provider.chat(request)).choices[0]?.message.content).toBe('fake: hello there switchyard');
    fake.setBehaviour({ kind: 'delay', ms: 600 });
    const error = await switchyardFailure(provider.chat(request));
    expect(error.code).toBe('SY_ERR_UPSTREAM_TIMEOUT');
  });

  it('lets a slow stream run past timeoutMs while chunks keep coming', async () => {
    const { provider } = await setup({ chunkDelayMs: 60 }, { timeoutMs: 150 });
    const chunks = await collectChunks(
      provider.streamChat({ ...request, messages: [{ role: 'user', content: 'one two three four five' }] }),
    );
    expect(streamedText(chunks)).toBe('fake: one two three four five');
  });

  it('throws a retryable SY_ERR_UPSTREAM when the stream is cut mid-way', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'cut-stream', afterChunks: 2 });
    const received: ChatCompletionChunk[] = [];
    const error = await switchyardFailure(
      (async () => {
        for await (const chunk of provider.streamChat(request)) received.push(chunk);
      })(),
    );
    expect(received).toHaveLength(2);
    expect(error.code).toBe('SY_ERR_UPSTREAM');
    expect(error.isRetryable).toBe(true);
  });

  it('throws when the stream ends without [DONE]', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'stream-error', afterChunks: 2, message: 'ignored' });
    const error = await switchyardFailure(collectChunks(provider.streamChat(request)));
    expect(error.code).toBe('SY_ERR_UPSTREAM');
  });

  it('refuses an answer of the wrong shape with a non-retryable error that names the field, not the body', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({
      kind: 'error',
      status: 200,
      body: { id: 'x', choices: [{ index: 0, message: 'private text' }] },
    });
    const error = await switchyardFailure(provider.chat(request));
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: false });
    expect(error.message).toContain('/choices/0/message must be object');
    expect(error.message).not.toContain('private text');
  });

  it('checks each stream event for what Switchyard reads and passes everything else through', () => {
    const context = { providerId: 'openai' };
    const event = {
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-mini',
      service_tier: 'default',
      choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null, logprobs: { content: [] } }],
    };
    expect(fromUpstreamChunk(JSON.stringify(event), request, context)).toEqual(event);
    const broken = { ...event, choices: [{ index: 0, delta: { content: 7 }, finish_reason: null }] };
    expect(() => fromUpstreamChunk(JSON.stringify(broken), request, context)).toThrowError(
      expect.objectContaining({
        code: 'SY_ERR_UPSTREAM',
        isRetryable: false,
        message: expect.stringContaining('/choices/0/delta/content must be string or null'),
      }),
    );
  });

  it('maps an error frame inside the stream', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'stream-error', afterChunks: 1, message: 'The server had an error' });
    const error = await switchyardFailure(collectChunks(provider.streamChat(request)));
    expect(error.code).toBe('SY_ERR_UPSTREAM');
    expect(error.status).toBe(502);
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain('The server had an error');
  });

  it('stops quickly on caller abort mid-stream and closes the upstream request', async () => {
    const { fake, provider } = await setup({ chunkDelayMs: 100 });
    const controller = new AbortController();
    const long = { ...request, messages: [{ role: 'user' as const, content: 'word '.repeat(50).trim() }] };
    const received: ChatCompletionChunk[] = [];
    let abortedAt = 0;
    const outcome = await (async () => {
      for await (const chunk of provider.streamChat(long, { signal: controller.signal })) {
        received.push(chunk);
        if (received.length === 3) {
          abortedAt = Date.now();
          controller.abort();
        }
      }
    })().then(
      () => 'finished',
      (error: unknown) => error,
    );
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).name).toBe('AbortError');
    expect(isSwitchyardError(outcome)).toBe(false);
    expect(received).toHaveLength(3);
    await vi.waitFor(() => expect(fake.abortedRequests).toBe(1));
  });

  it('closes the upstream request when the consumer stops iterating', async () => {
    const { fake, provider } = await setup({ chunkDelayMs: 50 });
    const long = { ...request, messages: [{ role: 'user' as const, content: 'word '.repeat(50).trim() }] };
    for await (const chunk of provider.streamChat(long)) {
      if (chunk.choices[0]?.delta.content) break;
    }
    await vi.waitFor(() => expect(fake.abortedRequests).toBe(1));
  });

  it('rejects immediately with an already aborted signal', async () => {
    const { fake, provider } = await setup();
    const error = await provider.chat(request, { signal: AbortSignal.abort() }).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('AbortError');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('fake OpenAI server', () => {
  it('speaks the protocol the official openai client expects', async () => {
    const fake = await startFakeOpenAI({ apiKey, streamChunks: 2 });
    track(fake);
    const client = new OpenAI({ apiKey, baseURL: fake.url, maxRetries: 0 });

    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'ping from the sdk' }],
    });
    expect(completion.choices[0]?.message.content).toBe('fake: ping from the sdk');
    expect(completion.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });

    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'ping from the sdk' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('fake: ping from the sdk');
    expect(usage?.completion_tokens).toBe(5);

    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['gpt-4o-mini']);

    fake.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '1' } });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
  });
});
