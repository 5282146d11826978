import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWebApp } from './web-app-routes';

let root: string;
let app: FastifyInstance;
/** The metrics label of each answered request, by URL (what the edge hooks read). */
const labels = new Map<string, string | undefined>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-web-app-'));
  await mkdir(join(root, 'assets', 'fonts'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>app</title>');
  await writeFile(join(root, 'chat.html'), '<!doctype html><title>chat shell</title>');
  await writeFile(join(root, 'theme.js'), 'window.theme = 1;');
  await writeFile(join(root, 'assets', 'index-Ab12.js'), 'console.log(1);');
  await writeFile(join(root, 'assets', 'Chat-abc.js'), 'export {};');
  await writeFile(join(root, 'assets', 'fonts', 'KaTeX-Xy34.woff2'), 'font');
  await writeFile(join(root, 'assets', '.hidden'), 'secret');
  app = Fastify();
  app.addHook('onResponse', (request, _reply, done) => {
    labels.set(request.url, (request.routeOptions.config as { metricsRoute?: string }).metricsRoute);
    done();
  });
  await registerWebApp(app, root);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await rm(root, { recursive: true, force: true });
});

describe('the web app', () => {
  it('serves hashed assets (nested too) for a year, with the static metrics label', async () => {
    for (const url of ['/assets/index-Ab12.js', '/assets/fonts/KaTeX-Xy34.woff2']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['cache-control'], url).toBe('public, max-age=31536000, immutable');
      expect(labels.get(url), url).toBe('static');
    }
    const script = await app.inject({ url: '/assets/index-Ab12.js?v=2' });
    expect(script.body).toBe('console.log(1);');
    expect(script.headers['content-type']).toMatch(/javascript/);
  });

  it('answers HEAD for a file with its headers and no body', async () => {
    const response = await app.inject({ method: 'HEAD', url: '/assets/index-Ab12.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe('15');
    expect(response.body).toBe('');
  });

  it('serves top-level files and index.html never cached', async () => {
    const theme = await app.inject({ url: '/theme.js' });
    expect(theme.statusCode).toBe(200);
    expect(theme.body).toBe('window.theme = 1;');
    expect(theme.headers['cache-control']).toBe('no-cache');
    expect(labels.get('/theme.js')).toBe('static');
    const index = await app.inject({ url: '/index.html' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-type']).toMatch(/text\/html/);
  });

  it('answers / and client-side routes with index.html under their own labels', async () => {
    for (const url of ['/', '/chat/some-conversation', '/settings']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toBe('<!doctype html><title>app</title>');
      expect(response.headers['cache-control'], url).toBe('no-cache');
      expect(labels.get(url), url).toBeUndefined();
    }
  });

  it('answers a file it does not have, or a dot file, with index.html (the SPA fallback)', async () => {
    for (const url of ['/assets/index-Old1.js', '/assets/.hidden', '/nothing.js']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toBe('<!doctype html><title>app</title>');
    }
    // Asked for under a directory of static files: counted with them.
    expect(labels.get('/assets/index-Old1.js')).toBe('static');
    expect(labels.get('/nothing.js')).toBeUndefined();
  });

  it('leaves API paths to the not-found handler', async () => {
    for (const url of ['/v1/unknown', '/api/unknown', '/ready-not', '/docs/x']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
  });
});

describe('page shells', () => {
  it('answers a page that has its own shell with it (chat.html for /chat, with or without a query)', async () => {
    for (const url of ['/chat', '/chat?chat=chat_123']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toContain('chat shell');
    }
  });

  it('answers / and every other client-side route with index.html', async () => {
    for (const url of ['/', '/settings', '/chat/elsewhere', '/index']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<title>app</title>');
    }
  });

  it('serves hashed assets for a year and leaves API paths to their routes', async () => {
    const asset = await app.inject({ url: '/assets/Chat-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ url: '/api/nothing-here' })).statusCode).toBe(404);
  });
});
