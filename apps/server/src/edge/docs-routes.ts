import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { docsCsp } from './security-headers';

/** Hop-by-hop headers of the inner answer: this server's own connection decides them. */
const notCopied = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

/**
 * The API docs page (Swagger UI under /docs) is made on its first request, not at every start:
 * @fastify/swagger-ui and the YAML library it loads cost ~40 ms of CPU per start (a fifth of what
 * building the app costs). Fastify takes no routes once it listens, so Swagger UI runs in a Fastify
 * instance of its own that reads this app's OpenAPI document; `/docs` and `/docs/*` here hand each
 * request to it and answer with its status, headers (its own Content-Security-Policy, docsCsp, among
 * them) and body. Paths it does not know get this app's 404 (with this app's CSP, as every JSON error).
 */
export function registerDocsRoutes(app: FastifyInstance): void {
  let docs: Promise<FastifyInstance> | null = null;
  const load = () => {
    if (!docs) {
      docs = (async () => {
        const [{ default: Fastify }, { default: swaggerUi }] = await Promise.all([
          import('fastify'),
          import('@fastify/swagger-ui'),
        ]);
        const inner = Fastify();
        // Swagger UI depends on a plugin named @fastify/swagger for `swagger()`: this app's document.
        const openApi = Object.assign(
          async (instance: FastifyInstance) => {
            instance.decorate('swagger', ((options?: { yaml?: boolean }) =>
              app.swagger(options as never)) as FastifyInstance['swagger']);
          },
          {
            [Symbol.for('skip-override')]: true,
            [Symbol.for('plugin-meta')]: { name: '@fastify/swagger' },
          },
        );
        await inner.register(openApi);
        await inner.register(swaggerUi, {
          routePrefix: '/docs',
          // The docs page has its own policy (see docsCsp).
          staticCSP: docsCsp,
          uiConfig: { deepLinking: true },
        });
        await inner.ready();
        return inner;
      })();
      // A failed load is tried again by the next request.
      docs.catch(() => {
        docs = null;
      });
    }
    return docs;
  };
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const inner = await load();
    const answer = await inner.inject({
      method: request.method as 'GET' | 'HEAD',
      url: request.url,
      headers: request.headers,
    });
    if (answer.statusCode === 404) return reply.callNotFound();
    reply.code(answer.statusCode);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !notCopied.has(name)) reply.header(name, value);
    }
    // An empty answer (a redirect, HEAD) is sent as none, so no content type is added to it.
    return answer.rawPayload.length === 0 ? reply.send() : reply.send(answer.rawPayload);
  };
  for (const url of ['/docs', '/docs/*']) {
    app.route({ method: ['GET', 'HEAD'], url, schema: { hide: true }, handler });
  }
}
