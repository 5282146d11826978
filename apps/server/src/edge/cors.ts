import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Headers a browser client of the API may send: keys (OpenAI and Anthropic style), idempotency, SSE resume. */
const allowedHeaders = [
  'authorization',
  'content-type',
  'x-api-key',
  'idempotency-key',
  'last-event-id',
  'anthropic-version',
  'anthropic-beta',
  'openai-organization',
  'openai-project',
  'x-stainless-arch',
  'x-stainless-lang',
  'x-stainless-os',
  'x-stainless-package-version',
  'x-stainless-retry-count',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-timeout',
  'x-request-id',
];

/** Response headers a browser client may read. */
const exposedHeaders = [
  'x-environment',
  'x-request-id',
  'x-switchyard-model',
  'x-switchyard-cache',
  'retry-after',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
];

/**
 * Cookie-authenticated routes (`/api/…`: the web app's own, better-auth's) never answer another origin: a
 * separate front end that needs them is listed in `auth.trustedOrigins`, which the CSRF guard checks.
 */
function isCookieRoute(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

/**
 * CORS for the key-authenticated API (`/v1/…`, `/mcp`) when `server.corsOrigins` / `CORS_ORIGINS` lists
 * origins, so a browser front end on another origin can call the gateway with a key. Off by default; never
 * with credentials, since those routes take a key, not a cookie.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  await app.register(cors, {
    delegator: (request, callback) => {
      if (isCookieRoute(request)) {
        callback(null, { origin: false });
        return;
      }
      callback(null, {
        origin: (origin, decide) => decide(null, origin !== undefined && (anyOrigin || allowed.has(origin))),
        credentials: false,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders,
        exposedHeaders,
        maxAge: 600,
        strictPreflight: false,
      });
    },
  });
}
