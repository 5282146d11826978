import { startFakeOpenAI, startTestHttpProxy } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createProvider } from './create-provider';

const question = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'through the proxy' }] };

describe('provider transport', () => {
  it('sends requests through the configured outbound proxy', async () => {
    const fake = await startFakeOpenAI();
    const proxy = await startTestHttpProxy();
    const adapter = createProvider({ id: 'proxied', type: 'openai-compatible', baseURL: fake.url, proxy: proxy.url });
    try {
      const completion = await adapter.chat(question);
      expect(completion.choices[0]?.message.content).toBe('fake: through the proxy');
      expect(proxy.targets).toContain(new URL(fake.url).host);
      let streamed = '';
      for await (const chunk of adapter.streamChat(question)) streamed += chunk.choices[0]?.delta.content ?? '';
      expect(streamed).toBe('fake: through the proxy');
    } finally {
      await adapter.close();
      await proxy.close();
      await fake.close();
    }
  });

  it('gives up on a stream whose first token does not come in time', async () => {
    const fake = await startFakeOpenAI();
    fake.setBehaviour({ kind: 'delay', ms: 2_000 });
    const adapter = createProvider({
      id: 'slow-start',
      type: 'openai-compatible',
      baseURL: fake.url,
      firstTokenTimeoutMs: 200,
    });
    try {
      const started = Date.now();
      const consume = async () => {
        for await (const _chunk of adapter.streamChat(question)) {
          // draining
        }
      };
      await expect(consume()).rejects.toMatchObject({ code: 'SY_ERR_UPSTREAM_TIMEOUT', isRetryable: true });
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await adapter.close();
      await fake.close();
    }
  });

  it('gives up on a stream that stalls between chunks, after it started', async () => {
    const fake = await startFakeOpenAI({ chunkDelayMs: 1_000, streamChunks: 5 });
    const adapter = createProvider({
      id: 'stalling',
      type: 'openai-compatible',
      baseURL: fake.url,
      firstTokenTimeoutMs: 5_000,
      idleTimeoutMs: 300,
    });
    try {
      const received: string[] = [];
      const consume = async () => {
        for await (const chunk of adapter.streamChat(question)) received.push(chunk.choices[0]?.delta.content ?? '');
      };
      await expect(consume()).rejects.toMatchObject({ code: 'SY_ERR_UPSTREAM_TIMEOUT' });
    } finally {
      await adapter.close();
      await fake.close();
    }
  });

  it('caps the whole exchange with totalTimeoutMs even while chunks keep coming', async () => {
    const fake = await startFakeOpenAI({ chunkDelayMs: 150, streamChunks: 20 });
    const adapter = createProvider({
      id: 'capped',
      type: 'openai-compatible',
      baseURL: fake.url,
      idleTimeoutMs: 1_000,
      totalTimeoutMs: 600,
    });
    try {
      const consume = async () => {
        for await (const _chunk of adapter.streamChat(question)) {
          // draining
        }
      };
      await expect(consume()).rejects.toMatchObject({
        code: 'SY_ERR_UPSTREAM_TIMEOUT',
        message: expect.stringContaining('600 ms'),
      });
    } finally {
      await adapter.close();
      await fake.close();
    }
  });
});
