import { hashApiKey } from '@switchyard/core';
import { createUsageRepository } from '@switchyard/db';
import { eventually, type FakeUpstreamServer, startFakeOpenAI } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * The fast path of POST /v1/chat/completions (edge/fast-path.ts) must answer exactly as Fastify's route
 * does: the same list of requests goes to a server with it on and to one with it off, and each answer's
 * status, headers and body, and the usage rows, must be the same.
 */

let primary: FakeUpstreamServer;
let backup: FakeUpstreamServer;
let slow: FakeUpstreamServer;
let fast: TestServer;
let plain: TestServer;

const keyNames = ['prod', 'dev', 'images-only', 'limited'] as const;
type KeyName = (typeof keyNames)[number];
const keys = new Map<TestServer, Map<KeyName, string>>();
const keyLabels = new Map<string, string>();

const bodyLimit = 4096;

async function start(fastPath: boolean): Promise<TestServer> {
  const server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [
        { id: 'primary', type: 'openai-compatible', baseURL: primary.url },
        { id: 'backup', type: 'openai-compatible', baseURL: backup.url },
        { id: 'slow', type: 'openai-compatible', baseURL: slow.url },
      ],
      models: [
        { id: 'main', provider: 'primary', upstreamModel: 'gpt-4o-mini', fallbacks: ['spare'] },
        { id: 'spare', provider: 'backup', upstreamModel: 'gpt-4o' },
        { id: 'slow', provider: 'slow', upstreamModel: 'gpt-4o-mini' },
      ],
      routing: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 100, deadlineMs: 10_000 },
    },
    variables: { SWITCHYARD_FAST_PATH: fastPath ? '1' : '0', BODY_LIMIT_BYTES: String(bodyLimit) },
  });
  const created = new Map<KeyName, string>();
  for (const name of keyNames) {
    const key = await server.createKey(name === 'dev' || name === 'limited' ? 'dev' : 'prod', {
      name,
      ...(name === 'images-only' ? { scopes: ['images'] } : {}),
    });
    created.set(name, key);
    const id = server.parts.keys.findByHash(hashApiKey(key))?.id;
    if (id) keyLabels.set(id, name);
  }
  keys.set(server, created);
  return server;
}

beforeAll(async () => {
  primary = await startFakeOpenAI({ reply: () => 'from primary' });
  backup = await startFakeOpenAI({ models: ['gpt-4o'], reply: () => 'from backup' });
  slow = await startFakeOpenAI({ chunkDelayMs: 400, reply: () => 'one two three four five six seven eight nine ten' });
  fast = await start(true);
  plain = await start(false);
});

afterAll(async () => {
  await fast?.destroy();
  await plain?.destroy();
  await primary?.close();
  await backup?.close();
  await slow?.close();
});

interface Sent {
  key?: KeyName | 'wrong';
  body: unknown;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Values that differ between any two answers: the upstream's ids and clock, the reset time. */
function normalized(value: unknown): unknown {
  // A rate-limit message says when the window resets, in whole seconds of the clock.
  if (typeof value === 'string') return value.replace(/retry in \d+s/, 'retry in (n)s');
  if (Array.isArray(value)) return value.map(normalized);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, field]) => [
      name,
      name === 'id' || name === 'created' ? typeof field : normalized(field),
    ]),
  );
}

function bodyOf(text: string, contentType: string): unknown {
  if (contentType.startsWith('text/event-stream')) {
    return text
      .split('\n\n')
      .filter((frame) => frame !== '')
      .map((frame) => {
        const data = frame.replace(/^data: /, '');
        return data === '[DONE]' ? data : normalized(JSON.parse(data));
      });
  }
  return contentType.startsWith('application/json') ? normalized(JSON.parse(text)) : text;
}

const timingHeaders = new Set(['date', 'x-request-id', 'x-ratelimit-reset', 'retry-after']);

async function send(server: TestServer, sent: Sent): Promise<Answer> {
  const key = sent.key === 'wrong' ? 'prod_not-a-real-key-0000000000' : sent.key && keys.get(server)?.get(sent.key);
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...sent.headers,
    },
    body: typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body),
  });
  const text = await response.text();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    // Present in both, with values that are the clock's or random.
    headers[name] = timingHeaders.has(name) ? '(varies)' : value;
  });
  const answer = { status: response.status, headers, body: bodyOf(text, response.headers.get('content-type') ?? '') };
  // The (JSON) body's length follows the upstream's ids; it is compared through the body itself.
  if (answer.headers['content-length'] !== undefined) answer.headers['content-length'] = '(length)';
  return answer;
}

/** Sends the same request to both servers; their answers must be the same. */
async function same(sent: Sent): Promise<Answer> {
  const before = fast.fastPathRequests();
  const viaFastPath = await send(fast, sent);
  const viaFastify = await send(plain, sent);
  expect(viaFastPath).toEqual(viaFastify);
  expect(fast.fastPathRequests()).toBe(before + 1);
  expect(plain.fastPathRequests()).toBe(0);
  return viaFastPath;
}

const hello = { model: 'main', messages: [{ role: 'user', content: 'hello' }] };

async function usageRows(server: TestServer) {
  await server.parts.usage.flush();
  const rows = [];
  for (const environment of ['prod', 'dev'] as const) {
    for (const row of await createUsageRepository(server.parts.databases[environment].db).list({ environment })) {
      rows.push({
        environment: row.environment,
        key: row.apiKeyId === null ? null : (keyLabels.get(row.apiKeyId) ?? 'unknown'),
        route: row.route,
        method: row.method,
        model: row.model,
        status: row.status,
        promptTokens: row.promptTokens,
        completionTokens: row.completionTokens,
      });
    }
  }
  return rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

// Each case waits for two servers, and the databases behind them, in turn.
describe('the fast path of POST /v1/chat/completions answers as the Fastify route does', { timeout: 120_000 }, () => {
  it('a good request, not streamed, with the client’s request id echoed', async () => {
    const answer = await same({ key: 'prod', body: hello, headers: { 'x-request-id': 'client-id-1' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-switchyard-model']).toBe('primary/gpt-4o-mini');
    expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
    expect(answer.headers['x-ratelimit-limit']).toBeDefined();
    // At info both write its access line, with the request id (the fast path makes its request logger for it).
    const accessLine = (server: TestServer) => {
      const line = server.logs.find((entry) => entry.msg === 'request' && entry.reqId === 'client-id-1');
      expect(line).toBeDefined();
      const {
        time: _time,
        pid: _pid,
        hostname: _hostname,
        durationMs,
        keyId,
        ...rest
      } = line as Record<string, unknown>;
      expect(typeof durationMs).toBe('number');
      return { ...rest, key: keyLabels.get(String(keyId)) };
    };
    const [viaFastPath, viaFastify] = await eventually(() => [accessLine(fast), accessLine(plain)]);
    expect(viaFastPath).toEqual(viaFastify);
    expect(viaFastPath).toMatchObject({ route: '/v1/chat/completions', status: 200, model: 'main', key: 'prod' });
  });

  it('streamed, with and without include_usage', async () => {
    const plainStream = await same({ key: 'prod', body: { ...hello, stream: true } });
    expect(plainStream.headers['content-type']).toContain('text/event-stream');
    expect((plainStream.body as unknown[]).at(-1)).toBe('[DONE]');
    const withUsage = await same({
      key: 'prod',
      body: { ...hello, stream: true, stream_options: { include_usage: true } },
    });
    expect(JSON.stringify(withUsage.body)).toContain('"usage":{');
  });

  it('anonymous and a dev key', async () => {
    expect((await same({ body: hello })).status).toBe(200);
    const dev = await same({ key: 'dev', body: hello });
    expect(dev.headers['x-environment']).toBe('dev');
  });

  it('a wrong key, a key without the chat scope', async () => {
    // An unknown key makes the key store reload once before the 401: slow on a busy machine.
    const wrong = await same({ key: 'wrong', body: hello });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('invalid_token');
    expect((await same({ key: 'images-only', body: hello })).status).toBe(403);
  });

  it('malformed JSON, an empty body, a body over the limit, a schema-invalid body, text no database stores', async () => {
    expect((await same({ key: 'prod', body: '{"model": "main", "messages": [' })).status).toBe(400);
    expect((await same({ key: 'prod', body: '' })).status).toBe(400);
    const tooLarge = await same({
      key: 'prod',
      body: { ...hello, messages: [{ role: 'user', content: 'x'.repeat(bodyLimit) }] },
    });
    expect(tooLarge.status).toBe(413);
    const invalid = await same({ key: 'prod', body: { model: 'main' } });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body)).toContain('SY_ERR_VALIDATION');
    expect((await same({ key: 'prod', body: { model: 'main', messages: 'nope' } })).status).toBe(400);
    const nul = await same({ key: 'prod', body: { model: 'main', messages: [{ role: 'user', content: 'a\u0000b' }] } });
    expect(JSON.stringify(nul.body)).toContain('SY_ERR_INVALID_TEXT');
  });

  it('an unknown model, an unknown app (the apps path of the shared handler)', async () => {
    expect((await same({ key: 'prod', body: { ...hello, model: 'no-such-model' } })).status).toBe(404);
    expect((await same({ key: 'prod', body: { ...hello, apps: ['no-such-app'] } })).status).toBe(404);
  });

  it('an upstream 500 answered by the fallback', async () => {
    primary.setBehaviour({ kind: 'error', status: 500 });
    try {
      const answer = await same({ key: 'prod', body: hello });
      expect(answer.status).toBe(200);
      expect(answer.headers['x-switchyard-model']).toBe('backup/gpt-4o');
    } finally {
      primary.setBehaviour({ kind: 'ok' });
    }
  });

  it('a client that leaves mid-stream leaves a 499 row on both', async () => {
    for (const server of [fast, plain]) {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.get(server)?.get('prod')}` },
        body: JSON.stringify({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'x' }] }),
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      const reader = response.body?.getReader();
      // Leave once the first frame arrived, mid-stream (the rest comes 400 ms apart).
      expect((await reader?.read())?.done).toBe(false);
      controller.abort();
      await reader?.cancel().catch(() => {});
    }
    expect(fast.fastPathRequests()).toBeGreaterThan(0);
    for (const server of [fast, plain]) {
      await eventually(async () => {
        expect((await usageRows(server)).filter((row) => row.status === 499)).toHaveLength(1);
      });
    }
  });

  it('rate limited: 429 with Retry-After and the x-ratelimit headers', async () => {
    for (const server of [fast, plain]) await server.parts.settings.set('rate_limit.chat.dev', 2);
    try {
      for (let index = 0; index < 2; index += 1) expect((await same({ key: 'limited', body: hello })).status).toBe(200);
      const limited = await same({ key: 'limited', body: hello });
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBeDefined();
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    } finally {
      for (const server of [fast, plain]) await server.parts.settings.set('rate_limit.chat.dev', 600);
    }
  });

  it('leaves the same usage rows', async () => {
    const rows = await usageRows(fast);
    expect(rows.length).toBeGreaterThan(15);
    expect(rows).toEqual(await usageRows(plain));
  });
});
