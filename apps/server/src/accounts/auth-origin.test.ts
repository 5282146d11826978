import { startTestSmtpServer, type TestSmtpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../testing/browser';
import { rawRequest } from '../testing/raw-request';
import { startTestServer, type TestServer } from '../testing/test-server';
import { authOrigins } from './auth-origin';

const password = 'correct horse battery';
let smtp: TestSmtpServer;
let counter = 0;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
});

afterAll(async () => {
  await smtp?.close();
});

async function newAccount(server: TestServer, origin: string, name: string): Promise<string> {
  counter += 1;
  const email = `${name}.${counter}@example.com`;
  const response = await createBrowser(server.url, origin).post('/api/auth/sign-up/email', { name, email, password });
  expect(response.status, await response.clone().text()).toBe(200);
  return email;
}

/** The Cookie header of a new account signed up from `origin`. */
async function sessionCookieFor(server: TestServer, origin: string): Promise<string> {
  const browser = createBrowser(server.url, origin);
  counter += 1;
  const response = await browser.post('/api/auth/sign-up/email', {
    name: 'writer',
    email: `writer.${counter}@example.com`,
    password,
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}

/** A cookie-authenticated write (a new API key) with the given Host and Origin. */
function writeKey(server: TestServer, cookie: string, host: string, origin: string) {
  return post(server, '/api/keys', { host, origin, cookie }, { name: 'csrf', environment: 'prod' });
}

async function resetLinkFor(email: string): Promise<URL> {
  const mail = await smtp.waitForMail((candidate) => candidate.to.includes(email));
  return new URL(/https?:\/\/\S+/.exec(mail.text)?.[0] ?? '');
}

function post(server: TestServer, path: string, headers: Record<string, string>, body: unknown) {
  return rawRequest(server.url, path, { method: 'POST', headers, body });
}

describe('authOrigins', () => {
  const accounts = { trustedOrigins: ['https://app.example'] } as never;

  it('is PUBLIC_URL and the configured origins, nothing else', () => {
    expect(authOrigins({ publicUrl: 'https://ai.example', host: '0.0.0.0', accounts }, 8080)).toEqual({
      origin: 'https://ai.example',
      trusted: ['https://ai.example', 'https://app.example'],
    });
  });

  it('is this server on loopback at its own port without PUBLIC_URL', () => {
    const local = authOrigins({ publicUrl: null, host: '127.0.0.1', accounts }, 8080);
    expect(local.origin).toBe('http://127.0.0.1:8080');
    expect(local.trusted).toEqual([
      'http://127.0.0.1:8080',
      'http://localhost:8080',
      'http://[::1]:8080',
      'https://app.example',
    ]);
    expect(authOrigins({ publicUrl: null, host: '0.0.0.0', accounts }, 3000).origin).toBe('http://localhost:3000');
    expect(authOrigins({ publicUrl: null, host: '::1', accounts }, 3000).origin).toBe('http://[::1]:3000');
  });
});

describe('without PUBLIC_URL: this server, on loopback, at its own port', () => {
  let server: TestServer;
  let port: number;
  let otherPort: string;

  beforeAll(async () => {
    server = await startTestServer({ variables: { SMTP_URL: smtp.url } });
    port = Number(new URL(server.url).port);
    otherPort = String(port === 65535 ? port - 1 : port + 1);
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('builds the reset link from its own address, whatever loopback Host the request names', async () => {
    const email = await newAccount(server, server.url, 'hosted');
    const response = await post(
      server,
      '/api/auth/request-password-reset',
      { host: `localhost:${otherPort}`, origin: server.url },
      { email },
    );
    expect(response.status).toBe(200);
    const link = await resetLinkFor(email);
    expect(link.origin).toBe(server.url);
    expect(link.pathname).toMatch(/^\/api\/auth\/reset-password\/\S+$/);
  });

  it('refuses callbackURL and redirectTo on another loopback port or a foreign origin', async () => {
    const email = await newAccount(server, server.url, 'redirects');
    const headers = { origin: server.url };
    for (const target of [
      `http://localhost:${otherPort}/reset`,
      `http://127.0.0.1:${otherPort}/`,
      'https://evil.example/',
    ]) {
      const reset = await post(server, '/api/auth/request-password-reset', headers, { email, redirectTo: target });
      expect(reset.status, target).toBe(403);
      const signIn = await post(server, '/api/auth/sign-in/email', headers, { email, password, callbackURL: target });
      expect(signIn.status, target).toBe(403);
      expect(signIn.headers['set-cookie'], target).toBeUndefined();
      const link = await rawRequest(
        server.url,
        `/api/auth/reset-password/some-token?callbackURL=${encodeURIComponent(target)}`,
      );
      expect(link.status, target).toBe(403);
    }
    // Its own address (any loopback spelling of its port) and relative paths are fine.
    const own = `http://localhost:${port}/reset-password`;
    expect((await post(server, '/api/auth/request-password-reset', headers, { email, redirectTo: own })).status).toBe(
      200,
    );
    const relative = await post(server, '/api/auth/sign-in/email', headers, { email, password, callbackURL: '/chat' });
    expect(relative.status).toBe(200);
  });

  it('refuses an Origin on another loopback port', async () => {
    const email = await newAccount(server, server.url, 'origins');
    const foreign = await post(
      server,
      '/api/auth/sign-in/email',
      { origin: `http://localhost:${otherPort}` },
      {
        email,
        password,
      },
    );
    expect(foreign.status).toBe(403);
    expect(foreign.headers['set-cookie']).toBeUndefined();
    const alias = await post(
      server,
      '/api/auth/sign-in/email',
      { origin: `http://localhost:${port}` },
      {
        email,
        password,
      },
    );
    expect(alias.status).toBe(200);
  });

  it('trusts a loopback Host for cookie writes, and no other Host even when the Origin matches it', async () => {
    const cookie = await sessionCookieFor(server, server.url);
    const rebound = `rebound.example:${port}`;
    const forged = await writeKey(server, cookie, rebound, `http://${rebound}`);
    expect(forged.status, forged.body).toBe(403);
    expect(JSON.parse(forged.body).error.code).toBe('SY_ERR_FORBIDDEN');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const own = await writeKey(server, cookie, host, `http://${host}`);
      expect(own.status, host).toBe(201);
    }
  });
});

describe('with PUBLIC_URL: exactly that origin and auth.trustedOrigins', () => {
  const publicUrl = 'https://switchyard.example';
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      config: { ollama: { autodetect: false }, auth: { trustedOrigins: ['https://app.example'] } },
      variables: { SMTP_URL: smtp.url, PUBLIC_URL: publicUrl },
    });
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('builds the reset link from PUBLIC_URL even when the request says Host: evil.example', async () => {
    const email = await newAccount(server, publicUrl, 'public');
    const response = await post(
      server,
      '/api/auth/request-password-reset',
      { host: 'evil.example', origin: publicUrl },
      { email },
    );
    expect(response.status).toBe(200);
    const link = await resetLinkFor(email);
    expect(link.origin).toBe(publicUrl);
  });

  it('trusts a configured origin, and neither loopback nor a foreign one', async () => {
    const email = await newAccount(server, publicUrl, 'configured');
    const port = new URL(server.url).port;
    for (const origin of [`http://localhost:${port}`, server.url, 'https://evil.example']) {
      const response = await post(server, '/api/auth/sign-in/email', { origin }, { email, password });
      expect(response.status, origin).toBe(403);
    }
    const configured = await post(
      server,
      '/api/auth/sign-in/email',
      { origin: 'https://app.example' },
      {
        email,
        password,
        callbackURL: 'https://app.example/chat',
      },
    );
    expect(configured.status).toBe(200);
    const loopbackCallback = await post(
      server,
      '/api/auth/sign-in/email',
      { origin: publicUrl },
      {
        email,
        password,
        callbackURL: `http://localhost:${port}/chat`,
      },
    );
    expect(loopbackCallback.status).toBe(403);
  });

  it('refuses a cookie write whose Origin matches only a forged Host', async () => {
    const cookie = await sessionCookieFor(server, publicUrl);
    const local = new URL(server.url).host;
    for (const [host, origin] of [
      ['evil.example', 'https://evil.example'],
      [local, server.url],
    ] as const) {
      const forged = await writeKey(server, cookie, host, origin);
      expect(forged.status, origin).toBe(403);
      expect(JSON.parse(forged.body).error.code, origin).toBe('SY_ERR_FORBIDDEN');
    }
    for (const origin of [publicUrl, 'https://app.example']) {
      const trusted = await writeKey(server, cookie, 'evil.example', origin);
      expect(trusted.status, origin).toBe(201);
    }
  });
});
