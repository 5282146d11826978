import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeUpstreamServer, startFakeOpenAI } from '@switchyard/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const fakes: FakeUpstreamServer[] = [];
const servers: TestServer[] = [];

afterAll(async () => {
  for (const server of servers) await server.destroy();
  for (const fake of fakes) await fake.close();
});

async function fake<T extends FakeUpstreamServer>(started: Promise<T>): Promise<T> {
  const server = await started;
  fakes.push(server);
  return server;
}

async function gateway(config: Record<string, unknown>, variables: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer({ config: { ollama: { autodetect: false }, ...config }, variables });
  servers.push(server);
  return server;
}

function chat(server: TestServer, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'route me' }], ...body }),
  });
}

/** Waits until `count()` reaches `target`, for fakes whose behaviour changes after the first request. */
async function whenReached(count: () => number, target: number): Promise<void> {
  const started = Date.now();
  while (count() < target && Date.now() - started < 5_000) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('fallbacks and retries', () => {
  let primary: FakeUpstreamServer;
  let backup: FakeUpstreamServer;
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    primary = await fake(startFakeOpenAI({ reply: () => 'from primary' }));
    backup = await fake(startFakeOpenAI({ models: ['gpt-4o'], reply: () => 'from backup' }));
    server = await gateway({
      providers: [
        { id: 'primary', type: 'openai-compatible', baseURL: primary.url, firstTokenTimeoutMs: 300, timeoutMs: 300 },
        { id: 'backup', type: 'openai-compatible', baseURL: backup.url },
        { id: 'nowhere', type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' },
      ],
      models: [
        { id: 'main', provider: 'primary', upstreamModel: 'gpt-4o-mini', fallbacks: ['spare'] },
        { id: 'spare', provider: 'backup', upstreamModel: 'gpt-4o' },
        { id: 'unreachable', provider: 'nowhere', upstreamModel: 'x', fallbacks: ['spare'] },
        { id: 'lonely', provider: 'primary', upstreamModel: 'gpt-4o-mini' },
      ],
      routing: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 100, deadlineMs: 10_000 },
    });
    key = await server.createKey('dev');
  });

  it.each([
    ['a 500', { kind: 'error', status: 500 }],
    ['a 429', { kind: 'error', status: 429, headers: { 'retry-after': '30' } }],
    ['a timeout', { kind: 'hang' }],
    ['a dropped connection', { kind: 'cut-stream', afterChunks: 0 }],
  ] as const)('falls back to the next model after %s and says who answered', async (_name, behaviour) => {
    primary.setBehaviour(behaviour);
    try {
      const response = await chat(server, { model: 'main' });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-switchyard-model')).toBe('backup/gpt-4o');
      const body = await readJson(response);
      expect(body.choices[0].message.content).toBe('from backup');
      expect(body.model).toBe('gpt-4o');
    } finally {
      primary.setBehaviour({ kind: 'ok' });
    }
  });

  it('falls back when the upstream refuses connections', async () => {
    const response = await chat(server, { model: 'unreachable' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-model')).toBe('backup/gpt-4o');
  });

  it('falls back when a stream fails before its first token', async () => {
    primary.setBehaviour({ kind: 'error', status: 503 });
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key });
      const stream = await client.chat.completions.create({
        model: 'main',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('from backup');
    } finally {
      primary.setBehaviour({ kind: 'ok' });
    }
  });

  it('retries the same deployment after Retry-After when it has no fallback', async () => {
    primary.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '1' } });
    const before = primary.requests.length;
    void whenReached(() => primary.requests.length, before + 1).then(() => primary.setBehaviour({ kind: 'ok' }));
    const started = Date.now();
    const response = await chat(server, { model: 'lonely' });
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(primary.requests.length).toBe(before + 2);
  });

  it('ends with a clear error when every attempt fails', async () => {
    primary.setBehaviour({ kind: 'error', status: 500 });
    try {
      const response = await chat(server, { model: 'lonely' });
      expect(response.status).toBe(502);
      expect((await readJson(response)).error.code).toBe('SY_ERR_UPSTREAM');
      const timedOut = await (async () => {
        primary.setBehaviour({ kind: 'hang' });
        return chat(server, { model: 'lonely' });
      })();
      expect(timedOut.status).toBe(504);
      expect((await readJson(timedOut)).error.code).toBe('SY_ERR_UPSTREAM_TIMEOUT');
    } finally {
      primary.setBehaviour({ kind: 'ok' });
    }
  });

  it('ends a stream cut after its first token with an error frame, never a clean finish', async () => {
    primary.setBehaviour({ kind: 'cut-stream', afterChunks: 2 });
    try {
      const response = await chat(server, { model: 'lonely', stream: true });
      expect(response.status).toBe(200);
      const text = await response.text();
      const frames = text.trim().split('\n\n');
      const errorFrame = frames.find((frame) => frame.includes('"error"'));
      expect(errorFrame).toBeDefined();
      expect(JSON.parse(errorFrame?.replace(/^data: /, '') ?? '{}').error.code).toBe('SY_ERR_UPSTREAM');
      expect(frames.at(-1)).toBe('data: [DONE]');
      expect(text).not.toContain('"finish_reason":"stop"');

      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key });
      const consume = async () => {
        const stream = await client.chat.completions.create({
          model: 'lonely',
          stream: true,
          messages: [{ role: 'user', content: 'x' }],
        });
        for await (const _chunk of stream) {
          // the client must surface the failure
        }
      };
      await expect(consume()).rejects.toThrow();
    } finally {
      primary.setBehaviour({ kind: 'ok' });
    }
  });
});

describe('multi-key rotation', () => {
  it('spreads requests over three keys at 10 rpm each and falls back for the 31st', async () => {
    const upstream = await fake(startFakeOpenAI({ reply: () => 'rotated' }));
    const backup = await fake(startFakeOpenAI({ reply: () => 'overflow' }));
    const providerId = `pool-${Math.random().toString(36).slice(2, 8)}`;
    const server = await gateway({
      providers: [
        {
          id: providerId,
          type: 'openai-compatible',
          baseURL: upstream.url,
          apiKeys: ['sk-one', 'sk-two', 'sk-three'],
          keyRpm: 10,
        },
        { id: 'backup', type: 'openai-compatible', baseURL: backup.url },
      ],
      models: [
        { id: 'pooled', provider: providerId, upstreamModel: 'gpt-4o-mini', fallbacks: ['overflow'] },
        { id: 'overflow', provider: 'backup', upstreamModel: 'gpt-4o-mini' },
      ],
    });
    const key = await server.createKey('prod', { admin: true });
    await fetch(`${server.url}/v1/admin/settings/rate_limit.chat.prod`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ value: 1000 }),
    });
    for (let index = 0; index < 30; index += 1) {
      const response = await chat(server, { model: 'pooled' }, { authorization: `Bearer ${key}` });
      expect(response.headers.get('x-switchyard-model')).toBe(`${providerId}/gpt-4o-mini`);
    }
    const used = upstream.requests.map((request) => request.headers.authorization);
    expect(
      ['Bearer sk-one', 'Bearer sk-two', 'Bearer sk-three'].map((value) => used.filter((v) => v === value).length),
    ).toEqual([10, 10, 10]);
    const overflow = await chat(server, { model: 'pooled' }, { authorization: `Bearer ${key}` });
    expect(overflow.status).toBe(200);
    expect(overflow.headers.get('x-switchyard-model')).toBe('backup/gpt-4o-mini');
    expect(upstream.requests).toHaveLength(30);
  });

  it('cools down a key that got a 429 and keeps serving with the others', async () => {
    const seen: string[] = [];
    const upstream: Server = createServer((incoming, outgoing) => {
      const authorization = String(incoming.headers.authorization);
      seen.push(authorization);
      incoming.resume();
      if (authorization === 'Bearer sk-hot') {
        outgoing.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' });
        outgoing.end(
          JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }),
        );
        return;
      }
      outgoing.writeHead(200, { 'content-type': 'application/json' });
      outgoing.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4o-mini',
          choices: [{ index: 0, message: { role: 'assistant', content: 'cool' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    const providerId = `hot-${Math.random().toString(36).slice(2, 8)}`;
    try {
      const server = await gateway({
        providers: [
          {
            id: providerId,
            type: 'openai-compatible',
            baseURL: `http://127.0.0.1:${port}/v1`,
            apiKeys: ['sk-hot', 'sk-cool'],
          },
        ],
        models: [{ id: 'pair', provider: providerId, upstreamModel: 'gpt-4o-mini' }],
      });
      const key = await server.createKey('dev');
      for (let index = 0; index < 6; index += 1) {
        const response = await chat(server, { model: 'pair' }, { authorization: `Bearer ${key}` });
        expect(response.status).toBe(200);
      }
      // Least-used picks the hot key first; its 429 puts it in cooldown (Retry-After: 60) and the
      // same request moves on to the cool key. It is never tried again.
      expect(seen.filter((value) => value === 'Bearer sk-hot')).toHaveLength(1);
      expect(seen.filter((value) => value === 'Bearer sk-cool')).toHaveLength(6);
      const state = await server.parts.keyPools.inspect(
        providerId,
        server.parts.models.resolve('pair')?.deployments[0]?.provider.keyIds ?? [],
      );
      expect(state[0]?.coolingUntil).toBeGreaterThan(Date.now() + 50_000);
      expect(state[1]?.coolingUntil).toBe(0);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain(`switchyard_upstream_key_cooldowns_total{provider="${providerId}"} 1`);
      expect(metrics).not.toContain('sk-hot');
    } finally {
      upstream.close();
    }
  });
});
