import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { firstScreenPage } from './first-screen-http';

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

/** Every file under `root` (no dot files, as @fastify/static's own listing), by top-level directory ('' for root's own files). */
function filesByTopDirectory(root: string): Map<string, Set<string>> {
  const byDirectory = new Map<string, Set<string>>();
  const walk = (directory: string, top: string, relativePath: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = relativePath ? `${relativePath}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walk(join(directory, entry.name), top || entry.name, path);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        const files = byDirectory.get(top) ?? new Set<string>();
        files.add(path);
        byDirectory.set(top, files);
      }
    }
  };
  walk(root, '', '');
  return byDirectory;
}

/**
 * Serves the single-page web app at `/`: hashed files under /assets are cached for a year, index.html
 * never; unknown non-API GET paths fall back to index.html so client-side routes survive a reload.
 *
 * One route per top-level file, and one wildcard route per top-level directory that answers the files
 * listed at start: not @fastify/static's route per file, whose ~350 routes (174 files, GET and HEAD) took
 * ~130 ms of CPU at every start. A path in such a directory that lists no file gets the fallback, as before.
 */
export async function registerWebApp(
  app: FastifyInstance,
  root = defaultWebDist,
): Promise<{ prepareFirstScreen(): Promise<void> }> {
  const built = existsSync(join(root, 'index.html'));
  // A page's own shell (chat.html for /chat): index.html plus the page's chunks as modulepreload
  // links, so the browser fetches them with the app's entry (vite.config.ts writes them).
  const shells = new Set(
    built ? readdirSync(root).filter((name) => name.endsWith('.html') && name !== 'index.html') : [],
  );
  const filesByDirectory = built ? filesByTopDirectory(root) : new Map<string, Set<string>>();
  // The chat page's first screen, drawn into chat.html for a signed-in reader (first-screen-http.ts).
  const chatPage = shells.has('chat.html')
    ? firstScreenPage(app, {
        shell: readFileSync(join(root, 'chat.html'), 'utf8'),
        modulePath: join(root, '..', 'dist-server', 'first-screen.js'),
        readAsset: (path) => {
          const file = path.slice(1);
          return (filesByDirectory.get('assets')?.has(file) ?? false) ? readFileSync(join(root, file), 'utf8') : null;
        },
      })
    : null;
  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    if (!built) return reply.code(503).type('text/html; charset=utf-8').send(missingPage);
    const shell = `${(request.url.split('?')[0] ?? '').slice(1)}.html`;
    if (shell === 'chat.html' && chatPage?.handle(request, reply)) return reply;
    return reply.header('Cache-Control', 'no-cache').sendFile(shells.has(shell) ? shell : 'index.html');
  };
  if (built) {
    // Only reply.sendFile; the routes are ours (below).
    await app.register(fastifyStatic, {
      root,
      serve: false,
      index: false,
      setHeaders(reply, path) {
        reply.header(
          'Cache-Control',
          path.includes(`${join(root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    // Served files share one metrics label: every release's hashed names would be new series.
    const routeOptions: Omit<RouteOptions, 'url' | 'handler'> = {
      method: ['GET', 'HEAD'],
      schema: { hide: true },
      config: { metricsRoute: 'static' },
      // As @fastify/static's routes: a client gone mid-file is no error to answer.
      errorHandler(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) {
        if (error?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
          request.raw.destroy();
          return;
        }
        return app.errorHandler(error, request, reply);
      },
    };
    for (const [directory, files] of filesByDirectory) {
      if (directory === '') {
        for (const file of files) {
          app.route({ ...routeOptions, url: `/${file}`, handler: (_request, reply) => reply.sendFile(file) });
        }
        continue;
      }
      app.route({
        ...routeOptions,
        url: `/${directory}/*`,
        handler(request, reply) {
          const file = `${directory}/${(request.params as { '*': string })['*']}`;
          return files.has(file) ? reply.sendFile(file) : sendIndex(request, reply);
        },
      });
    }
  }
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    if (isApiPath(request.url)) return reply.callNotFound();
    return sendIndex(request, reply);
  });
  return { prepareFirstScreen: async () => void (await chatPage?.warm()) };
}
