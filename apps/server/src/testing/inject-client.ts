import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Json } from './read-json';

export interface InjectResult {
  status: number;
  body: Json;
  headers: Record<string, unknown>;
}

/**
 * A cookie-keeping client that calls the app in process (`app.inject`, no socket): as a browser tab on the
 * server's origin, for fast tests of many requests. `key` sends a Bearer key instead of the cookies.
 */
export interface InjectClient {
  readonly userId: string;
  readonly email: string;
  request(method: string, url: string, body?: unknown): Promise<InjectResult>;
  get(url: string): Promise<InjectResult>;
  /** A multipart upload of one file (field "file"), as the web app's file input sends it. */
  upload(url: string, name: string, bytes: Buffer): Promise<InjectResult>;
}

function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    store(setCookie: unknown) {
      const lines = Array.isArray(setCookie) ? setCookie : setCookie ? [String(setCookie)] : [];
      for (const line of lines as string[]) {
        const [pair = ''] = line.split(';');
        const separator = pair.indexOf('=');
        const name = pair.slice(0, separator).trim();
        const value = pair.slice(separator + 1).trim();
        if (value === '' || /max-age=0/i.test(line)) cookies.delete(name);
        else cookies.set(name, value);
      }
    },
  };
}

async function send(
  app: FastifyInstance,
  origin: string,
  jar: ReturnType<typeof cookieJar>,
  method: string,
  url: string,
  payload: { body?: unknown; raw?: Buffer; contentType?: string },
): Promise<InjectResult> {
  const headers: Record<string, string> = { origin, host: new URL(origin).host };
  const cookie = jar.header();
  if (cookie) headers.cookie = cookie;
  if (payload.contentType) headers['content-type'] = payload.contentType;
  else if (payload.body !== undefined) headers['content-type'] = 'application/json';
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload.raw
      ? { payload: payload.raw }
      : payload.body === undefined
        ? {}
        : { payload: JSON.stringify(payload.body) }),
  });
  jar.store(response.headers['set-cookie']);
  const text = response.body;
  let body: Json = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: response.statusCode, body, headers: response.headers };
}

/** Signs up a fresh user through the real better-auth route and keeps their session cookie. */
export async function signUpInjected(
  app: FastifyInstance,
  /** The server's own origin (its `url`): account routes trust only it. */
  origin: string,
  name: string,
  email?: string,
): Promise<InjectClient> {
  const jar = cookieJar();
  const address = email ?? `${name}.${Math.random().toString(36).slice(2, 10)}@example.com`;
  const signedUp = await send(app, origin, jar, 'POST', '/api/auth/sign-up/email', {
    body: { name, email: address, password: 'correct horse battery' },
  });
  expect(signedUp.status, JSON.stringify(signedUp.body)).toBe(200);
  const client: InjectClient = {
    userId: signedUp.body.user.id as string,
    email: address,
    request: (method, url, body) => send(app, origin, jar, method, url, { body }),
    get: (url) => send(app, origin, jar, 'GET', url, {}),
    async upload(url, fileName, bytes) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)], { type: 'text/plain' }), fileName);
      const encoded = new Request('http://localhost/', { method: 'POST', body: form });
      return send(app, origin, jar, 'POST', url, {
        raw: Buffer.from(await encoded.arrayBuffer()),
        contentType: encoded.headers.get('content-type') ?? '',
      });
    },
  };
  return client;
}

/** Calls with an API key (no cookies). */
export function keyClient(app: FastifyInstance, key: string) {
  return async (method: string, url: string, body?: unknown): Promise<InjectResult> => {
    const response = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return {
      status: response.statusCode,
      body: response.body ? JSON.parse(response.body) : null,
      headers: response.headers,
    };
  };
}
