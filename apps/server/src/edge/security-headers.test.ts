import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = await server.createKey('prod');
});

afterAll(async () => {
  await server?.destroy();
});

/** The policy's directives by name, e.g. { 'script-src': ["'self'"] }. */
function directives(policy: string | null): Record<string, string[]> {
  expect(policy, 'Content-Security-Policy header').toBeTruthy();
  return Object.fromEntries(
    (policy ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name = '', ...values]) => [name.toLowerCase(), values]),
  );
}

function expectCommonHeaders(response: Response) {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
}

/** Strict: scripts from this origin only, no framing, no remote images, no plugins. */
function expectStrictPolicy(response: Response) {
  const policy = directives(response.headers.get('content-security-policy'));
  expect(policy['script-src']).toEqual(["'self'"]);
  expect(policy['frame-ancestors']).toEqual(["'none'"]);
  expect(policy['object-src']).toEqual(["'none'"]);
  expect(policy['img-src']?.every((source) => ["'self'", 'data:', 'blob:'].includes(source))).toBe(true);
  expect(policy['default-src']).toEqual(["'self'"]);
  expect(policy).not.toHaveProperty('upgrade-insecure-requests');
  return policy;
}

describe('security headers', () => {
  it('sends a strict CSP, nosniff, no-referrer and no framing on the web app at /', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expectCommonHeaders(response);
    const policy = expectStrictPolicy(response);
    // Inline styles for Mermaid's diagrams (drawn in the page); no other origin.
    expect(policy['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it('sends the same on a client-side route (the SPA fallback)', async () => {
    const response = await fetch(`${server.url}/chat/some-conversation`);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expectCommonHeaders(response);
    expectStrictPolicy(response);
  });

  it('gives the API docs page its own policy: scripts still from this origin only', async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expectCommonHeaders(response);
    const policy = expectStrictPolicy(response);
    expect(policy['script-src-attr']).toEqual(["'none'"]);
    // Swagger UI sets styles from its bundle; no inline script is allowed.
    expect(policy['style-src']).toContain("'self'");
    const html = await response.text();
    expect(html).toMatch(/<script src=/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('sends them on API JSON too', async () => {
    const response = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expectCommonHeaders(response);
    expectStrictPolicy(response);
    const refused = await fetch(`${server.url}/v1/admin/keys`);
    expect(refused.status).toBe(401);
    expectCommonHeaders(refused);
  });

  it('the web app has no inline script for the policy to block (the theme script is a file)', async () => {
    const html = await readFile(join(import.meta.dirname, '../../../web/index.html'), 'utf8');
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toMatch(/\bsrc=/);
    const theme = await fetch(`${server.url}/theme.js`);
    if (theme.status === 200) {
      // Served from apps/web/dist when the web app is built.
      expect(theme.headers.get('content-type')).toMatch(/javascript/);
      expectCommonHeaders(theme);
    }
  });
});
