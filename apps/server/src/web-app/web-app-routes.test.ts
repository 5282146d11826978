import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWebApp } from './web-app-routes';

let root: string;
let app: FastifyInstance;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-web-app-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>index</title>');
  await writeFile(join(root, 'chat.html'), '<!doctype html><title>chat shell</title>');
  await writeFile(join(root, 'assets', 'Chat-abc.js'), 'export {};');
  app = fastify();
  await registerWebApp(app, root);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await rm(root, { recursive: true, force: true });
});

describe('web app routes', () => {
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
      expect(response.body).toContain('<title>index</title>');
    }
  });

  it('serves hashed assets for a year and leaves API paths to their routes', async () => {
    const asset = await app.inject({ url: '/assets/Chat-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ url: '/api/nothing-here' })).statusCode).toBe(404);
  });
});
