import { type FakeUpstreamServer, startFakeOpenAI } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let upstream: FakeUpstreamServer;
let server: TestServer;
let devKey: string;
let prodKey: string;

beforeAll(async () => {
  upstream = await startFakeOpenAI({
    reply: (body) => `answer #${Math.random().toString(36).slice(2, 8)} to ${JSON.stringify(body.messages).length}`,
  });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'up', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'cached', provider: 'up', upstreamModel: 'gpt-4o-mini' }],
    },
  });
  devKey = await server.createKey('dev');
  prodKey = await server.createKey('prod');
  const admin = await server.createKey('prod', { admin: true });
  await fetch(`${server.url}/v1/admin/settings/rate_limit.chat.prod`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ value: 1000 }),
  });
});

afterAll(async () => {
  await server?.destroy();
  await upstream?.close();
});

function ask(key: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({
      model: 'cached',
      temperature: 0,
      messages: [{ role: 'user', content: 'same question' }],
      ...extra,
    }),
  });
}

describe('response cache', () => {
  it('answers an identical deterministic request from the cache', async () => {
    const first = await ask(devKey, { messages: [{ role: 'user', content: 'identical' }] });
    expect(first.headers.get('x-cache')).toBe('MISS');
    const firstBody = await readJson(first);
    const upstreamCalls = upstream.requests.length;
    const second = await ask(devKey, { messages: [{ role: 'user', content: 'identical' }] });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('x-switchyard-model')).toBe('up/gpt-4o-mini');
    expect(await readJson(second)).toEqual(firstBody);
    expect(upstream.requests.length).toBe(upstreamCalls);
  });

  it('misses when a parameter differs', async () => {
    await ask(devKey, { messages: [{ role: 'user', content: 'params' }] });
    const different = await ask(devKey, { messages: [{ role: 'user', content: 'params' }], max_tokens: 7 });
    expect(different.headers.get('x-cache')).toBe('MISS');
    const seeded = await ask(devKey, { messages: [{ role: 'user', content: 'params' }], seed: 3 });
    expect(seeded.headers.get('x-cache')).toBe('MISS');
  });

  it('never shares entries between dev and prod', async () => {
    const dev = await ask(devKey, { messages: [{ role: 'user', content: 'per environment' }] });
    expect(dev.headers.get('x-cache')).toBe('MISS');
    const prod = await ask(prodKey, { messages: [{ role: 'user', content: 'per environment' }] });
    expect(prod.headers.get('x-cache')).toBe('MISS');
    expect((await readJson(prod)).choices[0].message.content).not.toBe(
      (await readJson(dev)).choices[0].message.content,
    );
    expect(
      (await ask(prodKey, { messages: [{ role: 'user', content: 'per environment' }] })).headers.get('x-cache'),
    ).toBe('HIT');
  });

  it('does not cache non-deterministic requests, and honours Cache-Control', async () => {
    const warm = await ask(devKey, { temperature: 0.7, messages: [{ role: 'user', content: 'creative' }] });
    expect(warm.headers.get('x-cache')).toBe('BYPASS');
    expect(
      (await ask(devKey, { temperature: 0.7, messages: [{ role: 'user', content: 'creative' }] })).headers.get(
        'x-cache',
      ),
    ).toBe('BYPASS');
    await ask(devKey, { messages: [{ role: 'user', content: 'opt out' }] });
    const optedOut = await ask(
      devKey,
      { messages: [{ role: 'user', content: 'opt out' }] },
      { 'cache-control': 'no-cache' },
    );
    expect(optedOut.headers.get('x-cache')).toBe('MISS');
  });

  it('replays a cached answer to a streaming request as a valid SSE stream', async () => {
    const question = { messages: [{ role: 'user', content: 'stream it' }] };
    const live = await ask(devKey, { ...question, stream: true });
    expect(live.headers.get('x-cache')).toBe('MISS');
    const liveText = await live.text();
    const replayed = await ask(devKey, { ...question, stream: true });
    expect(replayed.headers.get('x-cache')).toBe('HIT');
    expect(replayed.headers.get('content-type')).toContain('text/event-stream');
    const replayText = await replayed.text();
    const content = (text: string) => {
      const frames = text.split('\n\n').filter((frame) => frame.length > 0);
      for (const frame of frames) expect(frame).toMatch(/^data: /);
      expect(frames.at(-1)).toBe('data: [DONE]');
      return frames
        .slice(0, -1)
        .map((frame) => JSON.parse(frame.slice('data: '.length)))
        .map((chunk) => chunk.choices[0]?.delta?.content ?? '')
        .join('');
    };
    expect(content(replayText)).toBe(content(liveText));
    expect(replayText.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
    // A non-streamed request for the same question is served from the same entry.
    expect((await ask(devKey, question)).headers.get('x-cache')).toBe('HIT');
  });

  it('turns off with cache.ttl_seconds = 0', async () => {
    const admin = await server.createKey('prod', { admin: true });
    const set = (value: number) =>
      fetch(`${server.url}/v1/admin/settings/cache.ttl_seconds`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ value }),
      });
    await set(0);
    try {
      await ask(devKey, { messages: [{ role: 'user', content: 'no ttl' }] });
      expect((await ask(devKey, { messages: [{ role: 'user', content: 'no ttl' }] })).headers.get('x-cache')).toBe(
        'BYPASS',
      );
    } finally {
      await set(3600);
    }
  });

  it('reports the hit ratio in /metrics', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_cache_lookups_total\{environment="dev",result="hit"\} [1-9]/);
    const ratio = Number(/switchyard_cache_hit_ratio\{environment="dev"\} ([0-9.]+)/.exec(metrics)?.[1]);
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(1);
  });
});
