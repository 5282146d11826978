import { loadConfig } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

const front = 'https://app.example.com';

function preflight(url: string, path: string, origin: string, headers = 'authorization, content-type') {
  return fetch(`${url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': headers,
    },
  });
}

describe('with server.corsOrigins set', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer({ config: { ollama: { autodetect: false }, server: { corsOrigins: [front] } } });
    key = await server.createKey('dev');
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('answers the preflight of a listed origin for the key routes, without credentials', async () => {
    const response = await preflight(
      server.url,
      '/v1/chat/completions',
      front,
      'authorization, content-type, x-stainless-os',
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(front);
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').split(',').map((name) => name.trim());
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-stainless-os']));
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets the listed origin read the answer and the headers a client needs', async () => {
    const response = await fetch(`${server.url}/v1/models`, {
      headers: { origin: front, authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(front);
    expect(response.headers.get('access-control-expose-headers')).toContain('x-environment');
    expect(response.headers.get('vary')).toMatch(/origin/i);
  });

  it('says nothing to an origin that is not listed', async () => {
    const response = await preflight(server.url, '/v1/chat/completions', 'https://evil.example.net');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await fetch(`${server.url}/v1/models`, { headers: { origin: 'https://evil.example.net' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never opens the cookie routes (/api/…) to another origin', async () => {
    const response = await preflight(server.url, '/api/keys', front);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await fetch(`${server.url}/api/keys`, { headers: { origin: front } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('by default', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('no origin gets CORS headers', async () => {
    const response = await preflight(server.url, '/v1/chat/completions', front);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await fetch(`${server.url}/v1/models`, { headers: { origin: front } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS_ORIGINS', () => {
  it('takes a comma-separated list of origins or *, and refuses a URL with a path', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:5173' }, '/nonexistent').corsOrigins,
    ).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(loadConfig({ CORS_ORIGINS: '*' }, '/nonexistent').corsOrigins).toEqual(['*']);
    expect(loadConfig({}, '/nonexistent').corsOrigins).toEqual([]);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example.com/app' }, '/nonexistent')).toThrow(/CORS_ORIGINS/);
  });
});
