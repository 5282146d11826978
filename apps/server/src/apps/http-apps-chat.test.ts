import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeOpenAIServer, type RunningShopApp, startFakeOpenAI, startShopApp } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

type Message = { role: string; content: unknown };
const secret = 'shop-secret-for-chat-tests-0123456789';

/** A model that searches when asked about lamps, compares when asked to, and answers with the results. */
function scriptedCalls(request: Record<string, unknown>) {
  const messages = request.messages as Message[];
  if (messages.at(-1)?.role !== 'user') return undefined;
  const text = String(messages.find((message) => message.role === 'user')?.content ?? '');
  if (text.includes('lamp')) return [{ name: 'shop__search_products', arguments: { query: 'lamp', max_results: 1 } }];
  if (text.includes('compare')) return [{ name: 'shop__compare', arguments: { ids: ['kettle-1', 'kettle-2'] } }];
  // A model only calls what it is offered: an app that refuses offers nothing.
  const offered = ((request.tools as Array<{ function: { name: string } }> | undefined) ?? []).map(
    (tool) => tool.function.name,
  );
  if (text.includes('locked') && offered.includes('locked__search_products')) {
    return [{ name: 'locked__search_products', arguments: { query: 'lamp' } }];
  }
  if (text.includes('broken')) return [{ name: 'broken__work', arguments: {} }];
  return undefined;
}

function scriptedReply(request: Record<string, unknown>): string {
  const results = (request.messages as Message[]).filter((message) => message.role === 'tool');
  return results.length > 0 ? `results: ${results.map((message) => message.content).join(' | ')}` : 'no tools';
}

function sseEvents(text: string) {
  return text
    .trim()
    .split('\n\n')
    .map((block) => {
      const [eventLine = '', dataLine = ''] = block.split('\n');
      return { event: eventLine.replace('event: ', ''), data: JSON.parse(dataLine.replace('data: ', '')) };
    });
}

describe('chat and the API with a remote HTTP app (the example shop app as a process)', () => {
  let shop: RunningShopApp;
  let upstream: FakeOpenAIServer;
  let server: TestServer;
  let key: string;
  let broken: Server;

  beforeAll(async () => {
    shop = await startShopApp({ secret, stepMs: 5 });
    // An app whose manifest is fine and whose skill answers with a web page.
    broken = createServer((request, response) => {
      if (request.url === '/manifest') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            name: 'Broken',
            version: '1',
            skills: [{ name: 'work', description: 'Works', input_schema: { type: 'object' } }],
          }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>Bad gateway</html>');
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
    upstream = await startFakeOpenAI({ toolCalls: scriptedCalls, reply: scriptedReply });
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
        models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
        apps: [
          { id: 'shop', type: 'http', baseURL: shop.url, secret: '${SHOP_APP_SECRET}' },
          // The same app with the wrong secret: it refuses every request.
          { id: 'locked', type: 'http', baseURL: shop.url, secret: 'not-the-shop-secret-0123456789' },
          { id: 'broken', type: 'http', baseURL: brokenUrl, secret: 'any-secret-will-do-0123456789' },
        ],
      },
      variables: { SHOP_APP_SECRET: secret },
    });
    key = await server.createKey('dev');
  });
  afterAll(async () => {
    await server?.destroy();
    await upstream?.close();
    await shop?.close();
    broken?.closeAllConnections();
    await new Promise((resolve) => broken?.close(resolve));
  });

  it('lists the app with the skills and focus modes of its manifest; the locked one as unavailable', async () => {
    const { apps } = await readJson(await keyRequest(server.url, key, 'GET', '/v1/apps'));
    const byId = Object.fromEntries(apps.map((app: { id: string }) => [app.id, app]));
    expect(byId.shop).toMatchObject({ name: 'Shop', kind: 'http', status: 'ok' });
    expect(byId.shop.skills.map((skill: { name: string }) => skill.name)).toEqual(['search_products', 'compare']);
    expect(byId.shop.focus_modes).toEqual([expect.objectContaining({ id: 'shopping', name: 'Shopping assistant' })]);
    expect(byId.locked).toMatchObject({ kind: 'http', status: 'unavailable' });
    expect(byId.locked.error).toContain("refused the request's signature (401");
  });

  it('calls a skill directly; a refused signature is a 503 naming the cause, never the secret', async () => {
    const response = await keyRequest(server.url, key, 'POST', '/v1/apps/shop/skills/search_products', {
      input: { query: 'chair', max_price: 200 },
    });
    expect(response.status).toBe(200);
    const body = await readJson(response);
    expect(body).toMatchObject({ app: 'shop', skill: 'search_products', is_error: false });
    expect(JSON.parse(body.output).products.map((product: { id: string }) => product.id)).toEqual(['chair-1']);

    const invalid = await keyRequest(server.url, key, 'POST', '/v1/apps/shop/skills/compare', {
      input: { ids: ['one'] },
    });
    expect(invalid.status).toBe(400);
    expect((await readJson(invalid)).error.code).toBe('SY_ERR_VALIDATION');

    const locked = await keyRequest(server.url, key, 'POST', '/v1/apps/locked/skills/search_products', {
      input: { query: 'lamp' },
    });
    expect(locked.status).toBe(503);
    const error = (await readJson(locked)).error;
    expect(error.code).toBe('SY_ERR_APP_UNAVAILABLE');
    expect(error.message).toContain("App 'locked' is unavailable: it refused the request's signature");
    expect(JSON.stringify(server.logs)).not.toContain('not-the-shop-secret');
  });

  it('runs the skill the model calls in a chat with "apps": ["shop"]', async () => {
    const response = await keyRequest(server.url, key, 'POST', '/v1/chat/completions', {
      model: 'smart',
      apps: ['shop'],
      messages: [{ role: 'user', content: 'find me a lamp' }],
    });
    expect(response.status).toBe(200);
    const content = (await readJson(response)).choices[0].message.content;
    expect(content).toMatch(/^results: \{"count":1,"products":\[\{"id":"lamp-1"/);
  });

  it('streams the app’s progress on the native chat stream as tool_progress events', async () => {
    const response = await keyRequest(server.url, key, 'POST', '/v1/chat', {
      model: 'smart',
      message: 'compare the kettles',
      apps: ['shop'],
      stream: true,
    });
    expect(response.status).toBe(200);
    const events = sseEvents(await response.text());
    expect(events.map((event) => event.event)).toEqual([
      'start',
      'tool_call',
      'tool_progress',
      'tool_progress',
      'tool_result',
      'delta',
      'done',
    ]);
    const progress = events.filter((event) => event.event === 'tool_progress').map((event) => event.data);
    expect(progress[0]).toMatchObject({
      app: 'shop',
      skill: 'compare',
      message: 'Checking Gooseneck kettle',
      fraction: 0,
    });
    expect(progress[1]).toMatchObject({ message: 'Checking Stovetop kettle', fraction: 0.5 });
    expect(progress[0].id).toBe(events[1]?.data.id);
    expect(events.find((event) => event.event === 'tool_result')?.data.output).toContain('Cheapest: Stovetop kettle.');
  });

  it('an app that breaks the protocol gives the model an error result; one that refuses offers no tools', async () => {
    const response = await keyRequest(server.url, key, 'POST', '/v1/chat/completions', {
      model: 'smart',
      apps: ['broken'],
      messages: [{ role: 'user', content: 'broken' }],
    });
    expect(response.status).toBe(200);
    expect((await readJson(response)).choices[0].message.content).toBe(
      "results: Error (SY_ERR_APP_UNAVAILABLE): App 'broken' is unavailable: it answered with text/html, not JSON or an event stream",
    );
    const locked = await keyRequest(server.url, key, 'POST', '/v1/chat/completions', {
      model: 'smart',
      apps: ['locked'],
      messages: [{ role: 'user', content: 'locked' }],
    });
    expect(locked.status).toBe(200);
    expect((await readJson(locked)).choices[0].message.content).toBe('no tools');
  });

  it("the app's focus mode adds its system prompt", async () => {
    const before = upstream.requests.length;
    const response = await keyRequest(server.url, key, 'POST', '/v1/chat', {
      model: 'smart',
      message: 'hi',
      focus: 'shopping',
    });
    expect(response.status).toBe(200);
    const sent = upstream.requests.slice(before)[0]?.body as { messages: Message[]; tools: unknown[] };
    expect(sent.messages[0]).toMatchObject({
      role: 'system',
      content: expect.stringContaining('You are the shop assistant'),
    });
    expect(sent.tools).toHaveLength(2);
  });
});
