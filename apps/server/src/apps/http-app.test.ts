import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatSkillEvent, type Manifest, verifySignature } from '@switchyard/app-protocol';
import type { AppEntry, AppRuntime, SkillCall, SkillProgress } from '@switchyard/core';
import { closedPortUrl, type RunningShopApp, startShopApp } from '@switchyard/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppRegistry } from './app-registry';
import { createHttpApp, manifestMaxAgeMs } from './http-app';

const secret = 'shop-secret-for-tests-0123456789';
const logger = pino({ level: 'silent' });
const caller = { kind: 'key', subject: 'key:test', userId: null } as const;

function callOf(input: Record<string, unknown>, onProgress?: (progress: SkillProgress) => void): SkillCall {
  return {
    environment: 'dev',
    caller,
    input,
    signal: AbortSignal.timeout(10_000),
    ...(onProgress ? { onProgress } : {}),
  };
}

const entry = (baseURL: string, more: Partial<AppEntry> = {}): AppEntry => ({
  id: 'shop',
  type: 'http',
  baseURL,
  secret,
  ...more,
});

/** The rejection of a promise (it must reject). */
async function failureOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('remote HTTP apps against the example shop app (a real process)', () => {
  let shop: RunningShopApp;
  let app: AppRuntime;

  beforeAll(async () => {
    shop = await startShopApp({ secret });
    app = createHttpApp(entry(shop.url), logger);
  });
  afterAll(async () => {
    await app?.close();
    await shop?.close();
  });

  it('reads its manifest: skills with their input schemas, focus modes, its name', async () => {
    const skills = await app.skills();
    expect(skills.map((skill) => skill.name)).toEqual(['search_products', 'compare']);
    expect(skills[0]?.inputSchema).toMatchObject({ type: 'object', required: ['query'] });
    expect(await app.focusModes()).toEqual([
      expect.objectContaining({ id: 'shopping', name: 'Shopping assistant', skills: ['search_products', 'compare'] }),
    ]);
    expect(app.name).toBe('Shop');
    expect(app.kind).toBe('http');
  });

  it('calls a skill with a signed request the app verifies, and reads its JSON answer', async () => {
    const result = await app.invoke('search_products', callOf({ query: 'lamp', max_results: 2 }));
    expect(result.isError).toBe(false);
    const output = JSON.parse(result.text);
    expect(output.count).toBe(2);
    expect(output.products[0]).toMatchObject({ id: 'lamp-1', name: 'Arc floor lamp' });
  });

  it('passes the progress events of a streamed answer to onProgress, then returns its result', async () => {
    const progress: SkillProgress[] = [];
    const result = await app.invoke(
      'compare',
      callOf({ ids: ['kettle-1', 'kettle-2'] }, (step) => progress.push(step)),
    );
    expect(progress).toEqual([
      { message: 'Checking Gooseneck kettle', fraction: 0 },
      { message: 'Checking Stovetop kettle', fraction: 0.5 },
    ]);
    expect(result.text).toContain('Cheapest: Stovetop kettle.');
  });

  it("gives the skill's own failure as an error result", async () => {
    const result = await app.invoke('compare', callOf({ ids: ['kettle-1', 'nope'] }));
    expect(result).toMatchObject({ isError: true, text: "No product 'nope' in the catalog; search first." });
  });

  it('a wrong secret: the app answers 401 and the app is unavailable, saying why (never the secret)', async () => {
    const wrong = createHttpApp(entry(shop.url, { secret: 'not-the-shop-secret-at-all' }), logger);
    const failure = await failureOf(wrong.skills());
    expect(failure.code).toBe('SY_ERR_APP_UNAVAILABLE');
    expect(failure.message).toBe(
      "App 'shop' is unavailable: it refused the request's signature (401: the signature does not match); check the app's secret",
    );
    expect(failure.message).not.toContain('not-the-shop-secret');
    const call = await failureOf(wrong.invoke('search_products', callOf({ query: 'lamp' })));
    expect(call.code).toBe('SY_ERR_APP_UNAVAILABLE');
  });

  it('a request signed outside the replay window is refused by the app', async () => {
    const late = createHttpApp(entry(shop.url), logger, { now: () => Date.now() - 6 * 60_000 });
    const failure = await failureOf(late.invoke('search_products', callOf({ query: 'lamp' })));
    expect(failure).toMatchObject({ code: 'SY_ERR_APP_UNAVAILABLE' });
    expect(failure.message).toContain('the signature is outside the replay window');
  });

  it('runs through the registry: input checked against the manifest schema, output cut at the limit', async () => {
    const registry = createAppRegistry({
      apps: [entry(shop.url, { maxOutputBytes: 40 })],
      logger,
      metrics: { skillCalls: { inc: () => {} }, skillDuration: { observe: () => {} } } as never,
    });
    try {
      const [shopApp] = registry.list('dev');
      const invalid = await failureOf(
        registry.run(shopApp as AppRuntime, 'search_products', {
          environment: 'dev',
          caller,
          input: { max_results: 2 },
        }),
      );
      expect(invalid).toMatchObject({ code: 'SY_ERR_VALIDATION', message: "input needs 'query'" });
      const outcome = await registry.run(shopApp as AppRuntime, 'search_products', {
        environment: 'dev',
        caller,
        input: { query: 'mug' },
      });
      expect(outcome).toMatchObject({ app: 'shop', skill: 'search_products', truncated: true });
      expect(Buffer.byteLength(outcome.text)).toBeLessThanOrEqual(40);
    } finally {
      await registry.close();
    }
  });
});

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

/** A stand-in for a remote app that misbehaves in a chosen way; checks every request's signature. */
async function startFakeApp(handler: Handler): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const parts: Buffer[] = [];
    for await (const chunk of request) parts.push(chunk as Buffer);
    const body = Buffer.concat(parts).toString('utf8');
    const verified = verifySignature({
      secret,
      body,
      timestamp: request.headers['x-switchyard-timestamp'] as string | undefined,
      signature: request.headers['x-switchyard-signature'] as string | undefined,
    });
    requests.push(`${request.method} ${request.url} ${verified.ok ? 'signed' : 'unsigned'}`);
    handler(request, response, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const goodManifest: Manifest = {
  name: 'Fake',
  version: '1',
  skills: [{ name: 'work', description: 'Works', input_schema: { type: 'object' } }],
};

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

describe('remote HTTP apps that are down, slow or broken: SY_ERR_APP_UNAVAILABLE with the reason', () => {
  const fakes: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
  });
  async function fake(handler: Handler) {
    const started = await startFakeApp(handler);
    fakes.push(started);
    return started;
  }
  /** A fake with a good manifest whose skill answers as `skill` says. */
  const withSkill = (skill: Handler) =>
    fake((request, response, body) => {
      if (request.url === '/manifest') return json(response, 200, goodManifest);
      skill(request, response, body);
    });

  it.each([
    [
      'a page that is not JSON',
      (response: ServerResponse) => response.end('<html>hello</html>'),
      'its manifest is not JSON',
    ],
    [
      'an invalid manifest',
      (response: ServerResponse) => json(response, 200, { name: 'X', skills: [] }),
      'its manifest is invalid: / must have required properties version',
    ],
    [
      'an error status',
      (response: ServerResponse) => json(response, 500, { error: { code: 'boom', message: 'database down' } }),
      'it answered 500: database down',
    ],
  ])('manifest: %s', async (_name, answer, reason) => {
    const app = createHttpApp(entry((await fake((_request, response) => answer(response))).url), logger);
    const failure = await failureOf(app.skills());
    expect(failure.code).toBe('SY_ERR_APP_UNAVAILABLE');
    expect(failure.message).toContain(reason);
  });

  it('an app that is down, or has no secret', async () => {
    const down = createHttpApp(entry(await closedPortUrl()), logger);
    expect(await failureOf(down.skills())).toMatchObject({
      code: 'SY_ERR_APP_UNAVAILABLE',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    const unsigned = createHttpApp(entry(await closedPortUrl(), { secret: '' }), logger);
    expect(await failureOf(unsigned.skills())).toMatchObject({
      message: "App 'shop' is unavailable: it has no secret; set `secret` in its config entry",
    });
  });

  it('a manifest that never comes: unavailable after the app timeout, not a hang', async () => {
    const app = createHttpApp(entry((await fake(() => {})).url, { timeoutMs: 200 }), logger);
    expect(await failureOf(app.skills())).toMatchObject({
      code: 'SY_ERR_APP_UNAVAILABLE',
      message: "App 'shop' is unavailable: its manifest did not arrive in time",
    });
  });

  it.each([
    [
      'HTML instead of JSON',
      (response: ServerResponse) => response.end('<html>oops</html>'),
      'not JSON or an event stream',
    ],
    [
      'JSON of another shape',
      (response: ServerResponse) => json(response, 200, { result: 'x' }),
      'its answer is invalid: / must have required properties output',
    ],
    [
      'a stream without a result',
      (response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(formatSkillEvent({ type: 'progress', progress: { message: 'half' } }));
      },
      'its event stream ended without a result',
    ],
    [
      'a stream with an error event',
      (response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(formatSkillEvent({ type: 'error', error: { code: 'x', message: 'the warehouse is closed' } }));
      },
      'it failed: the warehouse is closed',
    ],
    [
      'a broken stream event',
      (response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end('event: result\ndata: {oops\n\n');
      },
      "its 'result' event is not JSON",
    ],
    [
      'a redirect',
      (response: ServerResponse) => {
        response.writeHead(302, { location: 'http://169.254.169.254/' });
        response.end();
      },
      'it answered 302',
    ],
  ])('skill call: %s', async (_name, answer, reason) => {
    const app = createHttpApp(entry((await withSkill((_request, response) => answer(response))).url), logger);
    const failure = await failureOf(app.invoke('work', callOf({})));
    expect(failure.code).toBe('SY_ERR_APP_UNAVAILABLE');
    expect(failure.message).toContain(reason);
  });

  it('a skill that never answers: the registry times it out (504), the app request is aborted', async () => {
    let aborted = false;
    const hanging = await withSkill((request) => {
      request.socket.once('close', () => {
        aborted = true;
      });
    });
    const registry = createAppRegistry({
      apps: [entry(hanging.url, { timeoutMs: 300 })],
      logger,
      metrics: { skillCalls: { inc: () => {} }, skillDuration: { observe: () => {} } } as never,
    });
    const [app] = registry.list('prod');
    const failure = await failureOf(
      registry.run(app as AppRuntime, 'work', { environment: 'prod', caller, input: {} }),
    );
    expect(failure).toMatchObject({
      code: 'SY_ERR_SKILL_TIMEOUT',
      message: "App 'shop' did not answer 'work' within 300 ms",
    });
    await expect.poll(() => aborted).toBe(true);
    await registry.close();
  });

  it('signs the manifest request and the call; sends environment, caller and a request id', async () => {
    let received: Record<string, unknown> = {};
    const app = await withSkill((_request, response, body) => {
      received = JSON.parse(body);
      json(response, 200, { output: 'done' });
    });
    const runtime = createHttpApp(entry(app.url), logger);
    await runtime.skills();
    expect(await runtime.invoke('work', callOf({ a: 1 }))).toEqual({ text: 'done', isError: false, truncated: false });
    expect(app.requests).toEqual(['GET /manifest signed', 'POST /skills/work signed']);
    expect(received).toMatchObject({
      input: { a: 1 },
      environment: 'dev',
      caller: { kind: 'key', subject: 'key:test' },
      request_id: expect.any(String),
    });
    expect(received.caller).not.toHaveProperty('userId');
  });

  it('reads the manifest again when it is old, and when a call says the skill is unknown', async () => {
    let manifest: Manifest = goodManifest;
    const app = await fake((request, response) => {
      if (request.url === '/manifest') return json(response, 200, manifest);
      json(response, 404, { error: { code: 'unknown_skill', message: 'No such skill' } });
    });
    let now = Date.now();
    const runtime = createHttpApp(entry(app.url), logger, { now: () => now });
    expect((await runtime.skills()).map((skill) => skill.name)).toEqual(['work']);
    manifest = { ...goodManifest, version: '2', skills: [{ ...goodManifest.skills[0], name: 'rest' } as never] };
    // Cached while fresh.
    expect((await runtime.skills()).map((skill) => skill.name)).toEqual(['work']);
    now += manifestMaxAgeMs;
    expect((await runtime.skills()).map((skill) => skill.name)).toEqual(['rest']);

    manifest = goodManifest;
    expect(await failureOf(runtime.invoke('rest', callOf({})))).toMatchObject({
      code: 'SY_ERR_SKILL_NOT_FOUND',
      message: "App 'shop' has no skill 'rest' any more",
    });
    expect((await runtime.skills()).map((skill) => skill.name)).toEqual(['work']);
    expect(app.requests.filter((line) => line.startsWith('GET /manifest'))).toHaveLength(3);
  });
});
