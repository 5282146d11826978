import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import {
  type FirstScreenModule,
  firstLoadMeta,
  firstScreenMarker,
  firstScreenPage,
  readView,
  scriptSafeJson,
  viewCookie,
  withView,
} from './first-screen-http';
import { defaultWebDist } from './web-app-routes';

const builtModule = join(defaultWebDist, '..', 'dist-server', 'first-screen.js');

function view(value: Record<string, unknown>): string {
  return encodeURIComponent(JSON.stringify(value));
}

/** The responses the page carries for the app, by path (the JSON script's content). */
function sentResponses(html: string): Record<string, { status: number; body: Record<string, unknown> }> {
  const match = /<script type="application\/json" id="switchyard-first-load">([^<]*)<\/script>/.exec(html);
  if (!match?.[1]) throw new Error('the page carries no responses');
  return JSON.parse(match[1]);
}

describe('the view cookie and the JSON in the page', () => {
  it('reads a well-formed view cookie and refuses anything else', () => {
    const good = view({ language: 'pl', timeZone: 'Europe/Warsaw', project: null });
    expect(readView(`a=1; ${viewCookie}=${good}; b=2`, viewCookie)).toEqual({
      language: 'pl',
      timeZone: 'Europe/Warsaw',
      project: null,
    });
    expect(readView(undefined, viewCookie)).toBeNull();
    expect(readView(`${viewCookie}=not-json`, viewCookie)).toBeNull();
    expect(readView(`${viewCookie}=${view({ language: 'en' })}`, viewCookie)).toBeNull();
    expect(readView(`${viewCookie}=${view({ language: 'x'.repeat(40), timeZone: 'UTC' })}`, viewCookie)).toBeNull();
    expect(readView(`${viewCookie}=${view({ language: 'en', timeZone: 'UTC', project: 7 })}`, viewCookie)).toBeNull();
  });

  it("puts the view's language and theme on <html>, and lets theme.js run without holding the page only when the theme is known", () => {
    const head = '<!doctype html>\n<html lang="en">\n  <head>\n    <script src="/theme.js"></script>\n  </head>';
    const dark = withView(head, { language: 'pl', timeZone: 'UTC', project: null, dark: true });
    expect(dark).toContain('<html lang="pl" class="dark">');
    expect(dark).toContain('<script src="/theme.js" async></script>');
    const light = withView(head, { language: 'en', timeZone: 'UTC', project: null, dark: false });
    expect(light).toContain('<html lang="en">');
    expect(light).toContain('<script src="/theme.js" async></script>');
    // A cookie from before the theme was in it: theme.js holds the page as it always did.
    const unknown = withView(head, { language: '"><script>', timeZone: 'UTC', project: null });
    expect(unknown).toContain('<html lang="en">');
    expect(unknown).toContain('<script src="/theme.js"></script>');
    expect(
      readView(`${viewCookie}=${view({ language: 'en', timeZone: 'UTC', project: null, dark: true })}`, viewCookie),
    ).toMatchObject({ dark: true });
    expect(
      readView(`${viewCookie}=${view({ language: 'en', timeZone: 'UTC', project: null, dark: 'yes' })}`, viewCookie),
    ).not.toHaveProperty('dark');
  });

  it('keeps JSON from ending its script element', () => {
    const json = JSON.stringify({ text: '</script><script>alert(1)</script><!--' });
    const safe = scriptSafeJson(json);
    expect(safe).not.toContain('<');
    expect(JSON.parse(safe)).toEqual(JSON.parse(json));
  });
});

describe.skipIf(!existsSync(builtModule))('GET /chat with the first screen (the built web app)', () => {
  let server: TestServer;
  let alice: Browser;
  let bob: Browser;
  let chatId: string;
  const question = 'Where is </script><script>alert(1)</script> the deploy plan?';

  beforeAll(async () => {
    server = await startTestServer();
    alice = (await signUpUser(server.url, 'alice')).browser;
    bob = (await signUpUser(server.url, 'bob')).browser;
    const imported = await readJson(
      await alice.post('/api/chats/import', {
        chats: [
          {
            title: 'The **deploy** plan',
            messages: [
              { role: 'user', content: question },
              { role: 'assistant', content: 'Deploy on **Friday**:\n\n- build\n- ship' },
            ],
          },
        ],
      }),
    );
    chatId = imported.chatIds[0];
    await bob.post('/api/chats', { title: 'Bob only' });
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it("names the meta and the cookie as the web app's built module does", async () => {
    const module = (await import(pathToFileURL(builtModule).href)) as FirstScreenModule;
    expect([module.firstLoadMeta, module.viewCookie]).toEqual([firstLoadMeta, viewCookie]);
  });

  it('draws the sidebar and the newest messages, and sends the responses the app would ask for', async () => {
    alice.cookies.set(viewCookie, view({ language: 'en', timeZone: 'Asia/Tokyo', project: null }));
    const response = await alice.get(`/chat?chat=${chatId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    // The reader's own data: no cache may keep it, and it differs by cookie.
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('vary')).toMatch(/cookie/i);
    const html = await response.text();
    expect(html).toContain(`<meta name="${firstLoadMeta}" content="inline">`);
    expect(html).not.toContain(firstScreenMarker);
    // The style sheet is in the page (its first paint waits for no file), not linked.
    expect(html).not.toMatch(/<link rel="stylesheet"/);
    expect(html).toMatch(/<style>[^<]*tailwindcss[^<]*\.markdown/);
    const screen = html.slice(html.indexOf('data-first-screen'));
    expect(screen).toContain('data-testid="conversation-list"');
    expect(screen).toContain('The deploy plan');
    expect(screen).toContain('<strong>Friday</strong>');
    // Text is escaped, in the drawing and in the JSON alike: the page's only scripts are its files.
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(screen).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
    // Times in the browser's zone, as the app would show them.
    const sent = sentResponses(html);
    const messages = sent[`/api/chats/${chatId}/messages?limit=100&offset=0&from=end`];
    expect(messages?.status).toBe(200);
    const stored = messages?.body.messages as Array<{ content: string; createdAt: string }>;
    expect(stored.map((message) => message.content)).toEqual([question, 'Deploy on **Friday**:\n\n- build\n- ship']);
    const time = new Intl.DateTimeFormat('en', { timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(
      new Date(stored[0]?.createdAt ?? ''),
    );
    expect(screen).toContain(`>${time}</time>`);
    expect(sent['/api/me']?.status).toBe(200);
    expect(sent['/api/chats?limit=100&offset=0&archived=false']?.body.chats).toHaveLength(1);
  });

  it("draws nothing of another reader's chat: its messages answer 404 as the API does", async () => {
    bob.cookies.set(viewCookie, view({ language: 'en', timeZone: 'UTC', project: null }));
    const html = await (await bob.get(`/chat?chat=${chatId}`)).text();
    const sent = sentResponses(html);
    expect(sent[`/api/chats/${chatId}/messages?limit=100&offset=0&from=end`]?.status).toBe(404);
    expect(html).toContain('Bob only');
    expect(html).not.toContain('deploy');
    expect(html).not.toContain('Friday');
    expect(html).not.toContain('data-testid="message-list"');
  });

  it('draws in the language and the theme the view names', async () => {
    alice.cookies.set(viewCookie, view({ language: 'pl', timeZone: 'UTC', project: null, dark: true }));
    const html = await (await alice.get(`/chat?chat=${chatId}`)).text();
    expect(html).toContain('<html lang="pl" class="dark">');
    expect(html).toContain('<script src="/theme.js" async></script>');
    expect(html).toContain('aria-label="Asystent"');
    expect(html).toContain('Nowy czat');
  });

  it('sends the plain page without the view cookie, and to a reader signed out only the answers', async () => {
    alice.cookies.delete(viewCookie);
    const plain = await alice.get(`/chat?chat=${chatId}`);
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    const plainHtml = await plain.text();
    expect(plainHtml).not.toContain(firstLoadMeta);
    expect(plainHtml).toMatch(/<link rel="stylesheet" crossorigin href="\/assets\/index-[^"]+\.css">/);
    expect(plainHtml).not.toContain('data-first-screen');

    const signedOut = await fetch(`${server.url}/chat?chat=${chatId}`, {
      headers: { cookie: `${viewCookie}=${view({ language: 'en', timeZone: 'UTC', project: null })}` },
    });
    const html = await signedOut.text();
    expect(html).not.toContain('data-first-screen');
    expect(html).not.toContain('deploy');
    expect(sentResponses(html)['/api/me']?.status).toBe(401);
  });

  it('answers HEAD with the plain page', async () => {
    alice.cookies.set(viewCookie, view({ language: 'en', timeZone: 'UTC', project: null }));
    const response = await alice.request('HEAD', `/chat?chat=${chatId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });
});

describe('when the responses or the drawing fail', () => {
  let root: string;
  let app: FastifyInstance;
  const shell = `<!doctype html><html><head><title>chat</title></head><body><div id="root">${firstScreenMarker}</div><script type="module" src="/app.js"></script></body></html>`;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'switchyard-first-screen-'));
    // A stand-in for the built module: the same exports, a drawing that fails on request.
    const module: Record<keyof FirstScreenModule, string> = {
      renderFirstScreen: `(input) => { if (input.chats.length === 0) throw new Error('cannot draw'); return '<p data-first-screen>' + input.chats.length + ' chats</p>'; }`,
      chatPagePath: `() => '/api/chats?limit=100&offset=0&archived=false'`,
      messageRangePath: '(id) => `/api/chats/${id}/messages`',
      firstMessagePage: '100',
      firstLoadMeta: `'${firstLoadMeta}'`,
      firstLoadScriptId: `'switchyard-first-load'`,
      viewCookie: `'${viewCookie}'`,
    };
    await writeFile(
      join(root, 'first-screen.js'),
      Object.entries(module)
        .map(([name, value]) => `export const ${name} = ${value};`)
        .join('\n'),
    );
    app = Fastify();
    let chats: unknown[] = [{ id: 'a' }];
    app.get('/api/me', async () => ({ id: 'u' }));
    app.get('/api/chats', async () => ({ chats }));
    // Never answers: the page must not wait for it longer than its time-out.
    app.get('/api/chats/:id/messages', () => new Promise(() => {}));
    const page = firstScreenPage(app, { shell, modulePath: join(root, 'first-screen.js'), timeoutMs: 200 });
    if (!page) throw new Error('the first screen was not set up');
    app.get('/chat', (request, reply) => {
      if (page.handle(request, reply)) return reply;
      return reply.send('plain');
    });
    app.get('/set-chats', async (request) => {
      chats = (request.query as { empty?: string }).empty ? [] : [{ id: 'a' }];
      return {};
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await rm(root, { recursive: true, force: true });
  });

  const cookie = `${viewCookie}=${view({ language: 'en', timeZone: 'UTC', project: null })}`;

  it('sends the page without the responses once its time-out has passed', async () => {
    const response = await app.inject({ url: '/chat?chat=slow', headers: { cookie } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<meta name="${firstLoadMeta}" content="inline">`);
    // The app asks for them itself (early-requests.ts finds no responses in the page).
    expect(response.body).not.toContain('id="switchyard-first-load"');
    expect(response.body).not.toContain('data-first-screen');
    expect(response.body.endsWith('</html>')).toBe(true);
  });

  it('sends the responses without a drawing when drawing fails', async () => {
    await app.inject({ url: '/set-chats?empty=1' });
    const response = await app.inject({ url: '/chat', headers: { cookie } });
    expect(response.body).not.toContain('data-first-screen');
    expect(sentResponses(response.body)['/api/me']).toEqual({ status: 200, body: { id: 'u' } });
    await app.inject({ url: '/set-chats' });
    const drawn = await app.inject({ url: '/chat', headers: { cookie } });
    expect(drawn.body).toContain('<p data-first-screen>1 chats</p>');
  });

  it('is not set up for a shell without the marker', () => {
    expect(
      firstScreenPage(app, { shell: '<html><head></head></html>', modulePath: join(root, 'first-screen.js') }),
    ).toBe(null);
  });
});
