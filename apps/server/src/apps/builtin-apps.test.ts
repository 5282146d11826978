import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type FakeComfyUIServer,
  type FakeOpenAIServer,
  type FakeUpstreamServer,
  startFakeComfyUI,
  startFakeOpenAI,
  startFakeSearxng,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser } from '../testing/chat-client';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { settledFile, uploadFile } from '../testing/upload';

type Message = { role: string; content: unknown };

/** A model that searches the web when asked about tides and answers with what the skill returned. */
function scriptedCalls(request: Record<string, unknown>) {
  const messages = request.messages as Message[];
  if (messages.at(-1)?.role !== 'user') return undefined;
  const text = String(messages.find((message) => message.role === 'user')?.content ?? '');
  if (text.includes('tides')) return [{ name: 'web__search', arguments: { query: 'spring tides', count: 1 } }];
  if (text.includes('intranet')) return [{ name: 'web__fetch', arguments: { url: 'http://169.254.169.254/latest/' } }];
  return undefined;
}

function scriptedReply(request: Record<string, unknown>): string {
  const results = (request.messages as Message[]).filter((message) => message.role === 'tool');
  return results.length > 0 ? `tool said: ${results.map((message) => message.content).join(' | ')}` : 'no tools';
}

async function listen(host: string, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

describe('built-in apps: web, images and files', () => {
  let server: TestServer;
  let searxng: FakeUpstreamServer;
  let comfy: FakeComfyUIServer;
  let model: FakeOpenAIServer;
  /** Plays a public site: the one network the server is told it may reach. */
  let site: Server;
  let siteUrl: string;
  /** A private service the fetch skill must never reach. */
  let internal: Server;
  let internalUrl: string;
  let internalHits = 0;
  let devKey: string;

  beforeAll(async () => {
    searxng = await startFakeSearxng();
    comfy = await startFakeComfyUI({ finishDelayMs: 50 });
    model = await startFakeOpenAI({ toolCalls: scriptedCalls, reply: scriptedReply });
    internal = createServer((_request, response) => {
      internalHits += 1;
      response.end('internal admin page');
    });
    internalUrl = await listen('127.0.0.1', internal);
    site = createServer((request, response) => {
      if (request.url === '/to-internal') {
        response.writeHead(302, { location: `${internalUrl}/admin` }).end();
        return;
      }
      if (request.url === '/image.png') {
        response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50]));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        '<html><head><title>Harbour news</title><script>var secret = 1;</script></head><body>' +
          '<nav>Home | About</nav><article><h1>Boats return</h1><p>The fleet came back at <b>high tide</b>.</p></article></body></html>',
      );
    });
    siteUrl = await listen('127.0.0.2', site);
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: model.url }],
        models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
        imageModels: [{ id: 'sdxl', type: 'comfyui', baseURL: comfy.url, pollIntervalMs: 50 }],
        webSearch: { type: 'searxng', baseURL: searxng.url, timeoutMs: 2000 },
        builtinApps: { web: { allowedNetworks: ['127.0.0.2/32'], fetchTimeoutMs: 5000 } },
      },
    });
    devKey = await server.createKey('dev');
  });
  afterAll(async () => {
    await server?.destroy();
    await Promise.all([searxng?.close(), comfy?.close(), model?.close()]);
    site?.close();
    internal?.close();
  });

  const call = (key: string, app: string, skill: string, input: unknown) =>
    keyRequest(server.url, key, 'POST', `/v1/apps/${app}/skills/${skill}`, { input });

  it('lists the built-in apps with their skills in GET /v1/apps', async () => {
    const listed = await readJson(await keyRequest(server.url, devKey, 'GET', '/v1/apps'));
    const byId = Object.fromEntries(listed.apps.map((app: { id: string }) => [app.id, app]));
    const skillsOf = (id: string) => byId[id].skills.map((skill: { name: string }) => skill.name);
    expect(byId.web).toMatchObject({ kind: 'builtin', status: 'ok' });
    expect(skillsOf('web')).toEqual(['search', 'fetch']);
    expect(skillsOf('images')).toEqual(['generate']);
    expect(skillsOf('files')).toEqual(['search']);
  });

  describe('web', () => {
    it('searches through the configured provider', async () => {
      const response = await call(devKey, 'web', 'search', { query: 'tides', count: 2 });
      expect(response.status).toBe(200);
      const result = await readJson(response);
      expect(result).toMatchObject({ app: 'web', skill: 'search', is_error: false });
      expect(result.output).toContain('1. Tide tables for Brest\n   https://tides.example.org/brest');
      expect(result.output).toContain('published 2025-03-01');
      expect(result.output).not.toContain('Neap');
      expect((await readJson(await call(devKey, 'web', 'search', { query: 'nothing like this' }))).output).toBe(
        'No results for "nothing like this".',
      );
    });

    it('reports a rate-limiting provider as 429 and a failing one as 503', async () => {
      searxng.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '30' } });
      const limited = await call(devKey, 'web', 'search', { query: 'tides' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('30');
      expect((await readJson(limited)).error.code).toBe('SY_ERR_UPSTREAM_RATE_LIMITED');
      searxng.setBehaviour({ kind: 'error', status: 502 });
      const down = await call(devKey, 'web', 'search', { query: 'tides' });
      expect(down.status).toBe(503);
      expect((await readJson(down)).error).toMatchObject({ code: 'SY_ERR_APP_UNAVAILABLE' });
      searxng.setBehaviour({ kind: 'ok' });
    });

    it("fetches a page's title and readable text, without scripts or navigation", async () => {
      const result = await readJson(await call(devKey, 'web', 'fetch', { url: `${siteUrl}/news` }));
      expect(result.is_error).toBe(false);
      expect(result.output).toContain('Title: Harbour news');
      expect(result.output).toContain(`URL: ${siteUrl}/news`);
      expect(result.output).toContain('Boats return');
      expect(result.output).toContain('The fleet came back at high tide.');
      expect(result.output).not.toContain('secret');
      expect(result.output).not.toContain('Home | About');
      const picture = await readJson(await call(devKey, 'web', 'fetch', { url: `${siteUrl}/image.png` }));
      expect(picture).toMatchObject({ is_error: true, output: `${siteUrl}/image.png is not a text page (image/png)` });
    });

    it('refuses loopback, metadata and private addresses, also after a redirect, as an error result', async () => {
      const port = new URL(internalUrl).port;
      for (const url of [
        `${internalUrl}/admin`,
        `http://[::1]:${port}/`,
        `http://2130706433:${port}/`,
        'http://169.254.169.254/latest/meta-data/',
        'http://[fd00:ec2::254]/',
        'http://10.1.2.3/',
        `${siteUrl}/to-internal`,
        'file:///etc/passwd',
      ]) {
        const response = await call(devKey, 'web', 'fetch', { url });
        expect(response.status, url).toBe(200);
        const result = await readJson(response);
        expect(result.is_error, url).toBe(true);
        expect(result.output, url).toMatch(/^Could not fetch .*(address|http and https)/);
      }
      expect(internalHits).toBe(0);
    });

    it('runs in a chat with "apps": ["web"]: the model searches, and reads a refusal as a tool result', async () => {
      const answer = await readJson(
        await keyRequest(server.url, devKey, 'POST', '/v1/chat/completions', {
          model: 'smart',
          apps: ['web'],
          messages: [{ role: 'user', content: 'what are spring tides?' }],
        }),
      );
      expect(answer.choices[0].message.content).toContain(
        'tool said: 1. Understanding spring tides\n   https://ocean.example.com/spring-tides',
      );
      const offered =
        (model.requests.at(-2)?.body as { tools: Array<{ function: { name: string } }> } | undefined)?.tools ?? [];
      expect(offered.map((tool) => tool.function.name).sort()).toEqual(['web__fetch', 'web__search']);

      const refused = await readJson(
        await keyRequest(server.url, devKey, 'POST', '/v1/chat/completions', {
          model: 'smart',
          apps: ['web'],
          messages: [{ role: 'user', content: 'read the intranet' }],
        }),
      );
      expect(refused.choices[0].message.content).toContain('tool said: Could not fetch http://169.254.169.254/latest/');
      expect(refused.choices[0].message.content).toContain('metadata');
    });
  });

  describe('images', () => {
    it("generates through the image platform, on the caller's daily quota", async () => {
      const key = await server.createKey('dev');
      const admin = await server.createKey('prod', { admin: true });
      const set = await keyRequest(server.url, admin, 'PUT', '/v1/admin/settings/ai.image.max_per_day_free.dev', {
        value: 1,
      });
      expect(set.status).toBe(200);
      const made = await readJson(await call(key, 'images', 'generate', { prompt: 'a lighthouse', size: '512x512' }));
      expect(made.is_error, made.output).toBe(false);
      const url = /Image ready: (\S+)/.exec(made.output)?.[1] ?? '';
      expect(url).toMatch(/^\/v1\/image\/[\w-]+\/content$/);
      expect(made.output).toContain('Daily image quota: 1 of 1 used.');
      const picture = await keyRequest(server.url, key, 'GET', url);
      expect(picture.status).toBe(200);
      expect(picture.headers.get('content-type')).toBe('image/png');
      // Another key cannot see it.
      expect((await keyRequest(server.url, devKey, 'GET', url)).status).toBe(404);

      const over = await call(key, 'images', 'generate', { prompt: 'another lighthouse' });
      expect(over.status).toBe(429);
      expect((await readJson(over)).error.code).toBe('SY_ERR_QUOTA_EXCEEDED');
      const quota = await readJson(await keyRequest(server.url, key, 'GET', '/v1/image/quota'));
      expect(quota).toMatchObject({ used: 1, limit: 1, remaining: 0 });

      // The apps scope does not widen a key: generating still needs the images scope.
      const appsOnly = await server.createKey('dev', { scopes: ['apps'] });
      const refused = await call(appsOnly, 'images', 'generate', { prompt: 'a lighthouse' });
      expect(refused.status).toBe(403);
      expect((await readJson(refused)).error.code).toBe('SY_ERR_FORBIDDEN');
    });
  });

  describe('files', () => {
    it("searches only the caller's own documents; a key without a user gets a clear error result", async () => {
      const alice = await signUpUser(server.url, 'alice');
      const bob = await signUpUser(server.url, 'bob');
      for (const [user, name, text] of [
        [alice, 'harbour.txt', 'The harbour master logs every tide. Spring tides flood the quay.'],
        [alice, 'garden.txt', 'Tomatoes need sun; the tide of weeds never ends.'],
        [bob, 'bob-secret.txt', 'Bob keeps his tide charts and the vault code 4242 here.'],
      ] as const) {
        const uploaded = await uploadFile(server.url, user.browser, name, Buffer.from(text), 'text/plain');
        expect(uploaded.status).toBe(201);
        expect((await settledFile(user.browser, (await readJson(uploaded)).id)).status).toBe('ready');
      }
      const keyOf = async (user: typeof alice) =>
        (await readJson(await user.browser.post('/api/keys', { name: 'files key', environment: 'prod' })))
          .key as string;
      const aliceKey = await keyOf(alice);
      const bobKey = await keyOf(bob);

      const found = await readJson(await call(aliceKey, 'files', 'search', { query: 'spring tide' }));
      expect(found.is_error).toBe(false);
      expect(found.output).toMatch(
        /^1\. harbour\.txt \(file [\w-]+, uploaded \d{4}-\d{2}-\d{2}\)\n {3}The harbour master/,
      );
      expect(found.output).toContain('2. garden.txt');
      expect(found.output).not.toContain('bob-secret');
      expect(found.output).not.toContain('vault');

      const prying = await readJson(await call(aliceKey, 'files', 'search', { query: 'vault 4242' }));
      expect(prying.output).toBe('No uploaded document mentions "vault 4242".');
      const own = await readJson(await call(bobKey, 'files', 'search', { query: 'vault' }));
      expect(own.output).toContain('bob-secret.txt');
      expect(own.output).not.toContain('harbour');

      const wildcard = await readJson(await call(aliceKey, 'files', 'search', { query: '%%' }));
      expect(wildcard.output).toBe('No uploaded document mentions "%%".');

      const userless = await readJson(await call(devKey, 'files', 'search', { query: 'tide' }));
      expect(userless.is_error).toBe(true);
      expect(userless.output).toContain('this call has no user');
    });
  });
});

describe('built-in apps: switched off, or without a web-search provider', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        builtinApps: { images: { enabled: false }, files: { environments: ['prod'] } },
      },
    });
    key = await server.createKey('dev');
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('leaves out a disabled app, an app not enabled for the environment, and the search skill without a provider', async () => {
    const listed = await readJson(await keyRequest(server.url, key, 'GET', '/v1/apps'));
    const builtins = listed.apps.filter((app: { kind: string }) => app.kind === 'builtin');
    expect(builtins.map((app: { id: string }) => app.id)).toEqual(['web']);
    expect(builtins[0].skills.map((skill: { name: string }) => skill.name)).toEqual(['fetch']);
    const images = await keyRequest(server.url, key, 'POST', '/v1/apps/images/skills/generate', {
      input: { prompt: 'x' },
    });
    expect((await readJson(images)).error.code).toBe('SY_ERR_APP_NOT_FOUND');
    const search = await keyRequest(server.url, key, 'POST', '/v1/apps/web/skills/search', { input: { query: 'x' } });
    expect(search.status).toBe(404);
    expect((await readJson(search)).error.code).toBe('SY_ERR_SKILL_NOT_FOUND');
  });
});
