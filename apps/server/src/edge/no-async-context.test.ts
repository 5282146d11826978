import { AsyncLocalStorage } from 'node:async_hooks';
import {
  createServerModeEnvironment,
  type FakeUpstreamServer,
  type ServerModeEnvironment,
  serverModeAvailable,
  startFakeOpenAI,
} from '@switchyard/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signUpUser } from '../testing/chat-client';
import { startTestServer, type TestServer } from '../testing/test-server';

// On Node 20 running any AsyncLocalStorage turns on async hooks for the whole process (a hook for every
// promise): ~65-110 µs of CPU per gateway request (docs/benchmarks.md). The request id is passed
// explicitly instead; this checks that nothing on the ordinary gateway path (ours or a library's)
// enters or enables one. Every AsyncLocalStorage, whoever made it, goes through these prototype methods.

type Method = 'run' | 'enterWith' | '_enable' | 'disable';
const methods: Method[] = ['run', 'enterWith', '_enable', 'disable'];
const entered: string[] = [];
/** Storages enabled and not disabled since, with where they were enabled. */
const enabled = new Map<unknown, string>();
const stillEnabled = () => [...enabled.values()];
const originals = new Map<Method, unknown>();

function watchAsyncLocalStorage(): void {
  const prototype = AsyncLocalStorage.prototype as unknown as Record<
    Method,
    ((...args: unknown[]) => unknown) | undefined
  >;
  for (const method of methods) {
    const original = prototype[method];
    if (typeof original !== 'function') continue;
    originals.set(method, original);
    prototype[method] = function (this: unknown, ...args: unknown[]) {
      const where = `${method}: ${new Error().stack?.split('\n').slice(2, 6).join(' | ')}`;
      if (method === 'disable') enabled.delete(this);
      else entered.push(where);
      if (method === '_enable' && !enabled.has(this)) enabled.set(this, where);
      return original.apply(this, args);
    };
  }
}

function unwatchAsyncLocalStorage(): void {
  const prototype = AsyncLocalStorage.prototype as unknown as Record<Method, unknown>;
  for (const [method, original] of originals) prototype[method] = original;
  originals.clear();
}

const config = (upstream: FakeUpstreamServer) => ({
  ollama: { autodetect: false },
  providers: [{ id: 'up', type: 'openai-compatible', baseURL: upstream.url }],
  models: [{ id: 'plain', provider: 'up', upstreamModel: 'gpt-4o-mini' }],
  routing: { maxAttempts: 1 },
});

/** The ordinary gateway traffic of an API key: chat completions with and without streaming, and the model list. */
async function gatewayTraffic(server: TestServer, key: string): Promise<void> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  for (const stream of [false, true, false, true]) {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: stream ? { ...headers, 'x-request-id': 'no-context-stream' } : headers,
      body: JSON.stringify({ model: 'plain', stream, messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(stream ? 'data: [DONE]' : '"choices"');
  }
  const models = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  expect(models.status).toBe(200);
  await models.text();
}

const serverMode = await serverModeAvailable('no AsyncLocalStorage in server mode');

describe('no AsyncLocalStorage during gateway traffic', () => {
  let upstream: FakeUpstreamServer;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ reply: () => 'plain answer' });
  });
  afterAll(async () => {
    await upstream?.close();
  });
  beforeEach(() => {
    entered.length = 0;
    enabled.clear();
    watchAsyncLocalStorage();
  });
  afterEach(() => unwatchAsyncLocalStorage());

  it('embedded mode: from start to stop, nothing enters or enables one', async () => {
    const server = await startTestServer({ config: config(upstream) });
    try {
      const key = await server.createKey('prod', { name: 'no context' });
      await gatewayTraffic(server, key);
    } finally {
      await server.destroy();
    }
    expect(entered).toEqual([]);
  });

  it('better-auth enters its own only inside its calls (sign-up, session checks), and they are off again after', async () => {
    const server = await startTestServer({ config: config(upstream) });
    try {
      const key = await server.createKey('prod', { name: 'no context' });
      await gatewayTraffic(server, key);
      expect(entered).toEqual([]);
      const { browser } = await signUpUser(server.url, 'context');
      // A request signed in with the session cookie: the session check is a better-auth call.
      expect((await browser.get('/api/chats?limit=1')).status).toBe(200);
      expect((await browser.get('/api/auth/get-session')).status).toBe(200);
      // Every entry comes from better-auth's own code...
      expect(entered.length).toBeGreaterThan(0);
      const outside = entered.filter(
        (entry) =>
          !/^(run|enterWith): +at [^|]*better-auth/.test(entry) &&
          !/^_enable:[^|]*\|[^|]*\|[^|]*better-auth/.test(entry),
      );
      expect(outside).toEqual([]);
      // ...and once its calls are over, none of its storages is still enabled (an enabled one would
      // put every promise of the process through async hooks, API requests included).
      expect(stillEnabled()).toEqual([]);
      entered.length = 0;
      await gatewayTraffic(server, key);
      expect(entered).toEqual([]);
    } finally {
      await server.destroy();
    }
  });

  it.skipIf(!serverMode)('server mode (PostgreSQL, Redis): nothing enters or enables one', async () => {
    const environment: ServerModeEnvironment = await createServerModeEnvironment();
    try {
      const server = await startTestServer({ config: config(upstream), variables: environment.variables });
      try {
        const key = await server.createKey('prod', { name: 'no context' });
        await gatewayTraffic(server, key);
      } finally {
        await server.destroy();
      }
    } finally {
      await environment.drop();
    }
    expect(entered).toEqual([]);
  });
});
