import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGiftSessionsRepository } from '@switchyard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { sniffImageType } from './product-images';

const base = '/v1/apps/gift-finder/sessions';
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d49484452000000010000000108060000001f15c489', 'hex'),
]);
const maxBytes = 64 * 1024;

/** An image host on 127.0.0.2 (an allowed network in this test; 127.0.0.1 is not). */
async function startImageHost() {
  const hits: Record<string, number> = {};
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    hits[path] = (hits[path] ?? 0) + 1;
    const send = (status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': type, ...headers });
      response.end(body);
    };
    if (path === '/chess.png') return send(200, 'image/png', png);
    if (path === '/page.html') return send(200, 'text/html', '<html><body>not a picture</body></html>');
    if (path === '/lying.png') return send(200, 'image/png', '<html><script>alert(1)</script></html>');
    if (path === '/drawing.svg') {
      return send(200, 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    }
    if (path === '/huge.png') return send(200, 'image/png', Buffer.concat([png, Buffer.alloc(maxBytes * 2)]));
    if (path === '/to-loopback') {
      const port = (server.address() as AddressInfo).port;
      return send(302, 'text/plain', '', { location: `http://127.0.0.1:${port}/chess.png` });
    }
    if (path === '/gone.png') return send(404, 'text/plain', 'gone');
    return send(404, 'text/plain', 'no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.2:${port}${path}`,
    port,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('gift finder: product images through the proxy', () => {
  let server: TestServer;
  let host: Awaited<ReturnType<typeof startImageHost>>;
  let owner: string;
  let stranger: string;
  let sessionId: string;
  let strangerSession: string;

  beforeAll(async () => {
    host = await startImageHost();
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        builtinApps: { web: { allowedNetworks: ['127.0.0.2/32'], fetchTimeoutMs: 5_000 } },
        giftFinder: { images: { maxBytes } },
      },
    });
    owner = await server.createKey('prod', { name: 'owner', scopes: ['apps'] });
    stranger = await server.createKey('prod', { name: 'stranger', scopes: ['apps'] });
    const start = async (key: string) => {
      const created = await keyRequest(server.url, key, 'POST', base, { recipient: 'Ana' });
      expect(created.status).toBe(201);
      return (await readJson(created)).session.id as string;
    };
    sessionId = await start(owner);
    strangerSession = await start(stranger);
    // The products a marketplace would have reported (the read model the API serves from).
    const images: Record<string, string> = {
      chess: host.url('/chess.png'),
      html: host.url('/page.html'),
      lying: host.url('/lying.png'),
      svg: host.url('/drawing.svg'),
      huge: host.url('/huge.png'),
      redirect: host.url('/to-loopback'),
      gone: host.url('/gone.png'),
      loopback: `http://127.0.0.1:${host.port}/chess.png`,
      metadata: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      none: '',
    };
    const repository = createGiftSessionsRepository(server.parts.databases.prod.db);
    await repository.putProducts(
      Object.entries(images).map(([name, image]) => ({
        id: `p_${sessionId}_${name}`,
        sessionId,
        ideaId: 'idea_1',
        title: name,
        price: 10,
        currency: 'EUR',
        url: `https://shop.example/${name}`,
        image: image || null,
        marketplace: 'ebay',
        rating: null,
        createdAt: new Date(),
      })),
    );
  }, 60_000);

  afterAll(async () => {
    await server?.destroy();
    await host?.close();
  });

  const image = (name: string, key = owner, session = sessionId) =>
    keyRequest(server.url, key, 'GET', `${base}/${session}/products/p_${sessionId}_${name}/image`);

  it('serves the owner the image’s bytes with its type from the bytes, cached after the first fetch', async () => {
    const first = await image('chess');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/png');
    expect(first.headers.get('cache-control')).toBe('private, max-age=86400');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(first.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await first.arrayBuffer()).equals(png)).toBe(true);
    const second = await image('chess');
    expect(second.status).toBe(200);
    expect(Buffer.from(await second.arrayBuffer()).equals(png)).toBe(true);
    expect(host.hits['/chess.png']).toBe(1);
  });

  it('answers 404 to anyone else, and for a product of another session or without an image', async () => {
    const other = await image('chess', stranger);
    expect(other.status).toBe(404);
    expect((await readJson(other)).error.code).toBe('SY_ERR_GIFT_SESSION_NOT_FOUND');
    // The stranger's own session does not reach the owner's product either.
    const crossed = await image('chess', stranger, strangerSession);
    expect(crossed.status).toBe(404);
    expect((await readJson(crossed)).error.code).toBe('SY_ERR_NOT_FOUND');
    expect((await image('none')).status).toBe(404);
    expect((await image('unknown')).status).toBe(404);
    expect((await fetch(`${server.url}${base}/${sessionId}/products/p_${sessionId}_chess/image`)).status).toBe(401);
  });

  it('refuses images at loopback and metadata addresses, also behind a redirect', async () => {
    for (const name of ['loopback', 'metadata', 'redirect']) {
      const response = await image(name);
      expect(response.status, name).toBe(502);
      const body = await readJson(response);
      expect(body.error.code, name).toBe('SY_ERR_IMAGE_REFUSED');
      expect(body.error.message, name).toMatch(/not fetched/);
    }
    expect(host.hits['/to-loopback']).toBe(1);
  });

  it('refuses what is not a raster image by its bytes (HTML, HTML sent as PNG, SVG) and what is over the size limit', async () => {
    for (const name of ['html', 'lying', 'svg', 'huge']) {
      const response = await image(name);
      expect(response.status, name).toBe(502);
      expect((await readJson(response)).error.code, name).toBe('SY_ERR_IMAGE_REFUSED');
    }
    expect((await readJson(await image('huge'))).error.message).toMatch(/larger than 65536 bytes/);
  });

  it('passes an image host’s error on as 502 SY_ERR_UPSTREAM', async () => {
    const response = await image('gone');
    expect(response.status).toBe(502);
    expect((await readJson(response)).error.code).toBe('SY_ERR_UPSTREAM');
  });

  it('tells image formats by their first bytes', () => {
    expect(sniffImageType(png)).toBe('image/png');
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe('image/jpeg');
    expect(sniffImageType(Buffer.from('GIF89a....'))).toBe('image/gif');
    expect(sniffImageType(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(Buffer.from('\u0000\u0000\u0000\u001cftypavif'))).toBe('image/avif');
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImageType(Buffer.alloc(0))).toBeNull();
  });
});
