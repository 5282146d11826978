import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * The web app's Content-Security-Policy. Scripts only from this origin (no inline script, no eval), so an
 * injected tag cannot run; images only from this origin or data:/blob: URLs, so a remote Markdown image
 * cannot carry chat text away in its URL; no framing (clickjacking); no plugins; no <base> rewriting.
 * No upgrade-insecure-requests: a self-hosted server on plain http (a LAN address) must keep working.
 * Inline styles are allowed: Mermaid draws a diagram in the page, giving its SVG a <style> element and
 * style attributes while it measures text, and no hash or nonce can cover styles made at run time. Styles
 * cannot run script, and what injected CSS could fetch is still bound by img-src/font-src (this origin).
 */
export const webAppCspDirectives = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  mediaSrc: ["'self'", 'blob:'],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

/**
 * Swagger UI at /docs sets element styles from its bundle (React inline styles and <style> tags), so its
 * page alone also allows inline styles; scripts stay 'self' only.
 */
export const docsCsp = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** The one helmet configuration: the Fastify plugin and the fast path's header list are built from it. */
const helmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: webAppCspDirectives },
  referrerPolicy: { policy: 'no-referrer' as const },
  frameguard: { action: 'deny' as const },
  // Only honoured over https; not for subdomains, which this server does not own.
  strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
};

/**
 * Security headers on every response (HTML pages, static files and API JSON): CSP, nosniff, no framing,
 * no Referer (a shared page's URL holds its token), same-origin opener and resource policies.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet, { global: true, ...helmetOptions });
}

/**
 * The headers {@link registerSecurityHeaders} sets on every response, as helmet itself sets them (its
 * middleware run once against a response that records them): for the fast path, which sends them itself.
 */
export function securityHeaderList(): ReadonlyArray<readonly [string, string]> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), String(value));
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
    getHeader: (name: string) => headers.get(name.toLowerCase()),
  };
  let failed: unknown = null;
  helmet(helmetOptions)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) failed = error;
  });
  if (failed) throw failed;
  return [...headers];
}
