import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** apps/web/dist, built by `npm run build -w @switchyard/web` (the root `prepare` script runs it). */
export const defaultWebDist = join(dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

const apiPrefixes = ['/v1/', '/api/', '/docs', '/openapi.json', '/health', '/ready', '/metrics', '/status'];

export function isApiPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/v1' || path === '/api' || apiPrefixes.some((prefix) => path.startsWith(prefix));
}

// No inline style: the Content-Security-Policy (edge/security-headers.ts) allows styles from files only.
const missingPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchyard</title></head>
<body>
<h1>Switchyard is running</h1>
<p>The web app has not been built: run <code>npm run build -w @switchyard/web</code> (or <code>npm ci</code>, whose
<code>prepare</code> script builds it) and reload.</p>
<p>The API works without it: <a href="/docs">API docs</a> · <a href="/ready">/ready</a></p></body></html>`;

/**
 * Serves the single-page web app at `/`: hashed files under /assets are cached for a year, index.html
 * never; unknown non-API GET paths fall back to index.html so client-side routes survive a reload.
 */
export async function registerWebApp(app: FastifyInstance, root = defaultWebDist): Promise<void> {
  const built = existsSync(join(root, 'index.html'));
  if (built) {
    // One route per file (wildcard: false): every release's hashed names would be new metric series.
    app.addHook('onRoute', (route) => {
      if (route.method === 'GET' || (Array.isArray(route.method) && route.method.includes('GET'))) {
        if (route.url !== '/' && route.url !== '/*') {
          route.config = { ...route.config, metricsRoute: 'static' };
        }
      }
    });
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      index: false,
      setHeaders(reply, path) {
        reply.header(
          'Cache-Control',
          path.includes(`${join(root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }
  // A page's own shell (chat.html for /chat): index.html plus the page's chunks as modulepreload
  // links, so the browser fetches them with the app's entry (vite.config.ts writes them).
  const shells = new Set(
    built ? readdirSync(root).filter((name) => name.endsWith('.html') && name !== 'index.html') : [],
  );
  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    if (!built) return reply.code(503).type('text/html; charset=utf-8').send(missingPage);
    const shell = `${(request.url.split('?')[0] ?? '').slice(1)}.html`;
    return reply.header('Cache-Control', 'no-cache').sendFile(shells.has(shell) ? shell : 'index.html');
  };
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    if (isApiPath(request.url)) return reply.callNotFound();
    return sendIndex(request, reply);
  });
}
