import { startTestSmtpServer, type TestSmtpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../testing/browser';
import { rawRequest } from '../testing/raw-request';
import { setSetting } from '../testing/settings';
import { startTestServer, type TestServer } from '../testing/test-server';
import { resolveAuthPath } from './auth-path';

const password = 'correct horse battery';

/**
 * Every spelling `new URL()` (and so better-auth) turns into /api/auth/sign-in/email; before the fix
 * each one signed in past the limits (fetch() and inject() would normalise them, hence rawRequest).
 */
const signInSpellings = [
  '/api/auth/./sign-in/email',
  '/api/auth/sign-in/./email',
  '/api/auth/x/../sign-in/email',
  '/api/auth/%2e/sign-in/email',
  '/api/auth/%2E/sign-in/email',
  '/api/auth/sign-in/x/../email',
  '/api/auth/sign-in/%2e%2E/sign-in/email',
  '/api/auth/sign-in/email#',
  '/api/auth/sign-in/email#fragment',
  '/api/auth/sign-in\\email',
];
const resetSpellings = signInSpellings.map((spelling) => spelling.replace('sign-in/email', 'request-password-reset'));

describe('resolveAuthPath', () => {
  it('names the path better-auth will serve and whether the request spelled it that way', () => {
    expect(resolveAuthPath('/api/auth/sign-in/email?x=1')).toEqual({
      path: '/api/auth/sign-in/email',
      canonical: true,
    });
    for (const spelling of signInSpellings) {
      expect(resolveAuthPath(spelling), spelling).toEqual({ path: '/api/auth/sign-in/email', canonical: false });
    }
    expect(resolveAuthPath('/api/auth/a/../../sign-in/email').path).toBe('/api/sign-in/email');
  });
});

describe('auth paths spelled with dot segments, %2e or a fragment', () => {
  let server: TestServer;
  let smtp: TestSmtpServer;
  let adminKey: string;
  let counter = 0;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    server = await startTestServer({
      config: { ollama: { autodetect: false }, server: { trustProxy: true } },
      variables: { SMTP_URL: smtp.url, SMTP_FROM: 'Switchyard <accounts@switchyard.test>' },
    });
    adminKey = await server.createKey('prod', { admin: true });
  });

  afterAll(async () => {
    await server?.destroy();
    await smtp?.close();
  });

  async function newAccount(name: string): Promise<string> {
    counter += 1;
    const email = `${name}.${counter}@example.com`;
    const response = await createBrowser(server.url).post('/api/auth/sign-up/email', { name, email, password });
    expect(response.status).toBe(200);
    return email;
  }

  function signInAt(target: string, email: string, secret: string, ip = '192.0.2.1') {
    return rawRequest(server.url, target, {
      method: 'POST',
      headers: { origin: server.url, 'x-forwarded-for': ip },
      body: { email, password: secret },
    });
  }

  it('reaches the server as written (the raw client does not normalise)', async () => {
    const email = await newAccount('raw');
    const canonical = await signInAt('/api/auth/sign-in/email', email, password);
    expect(canonical.status).toBe(200);
    expect(canonical.headers['set-cookie']).toMatch(/switchyard\.session_token=/);
  });

  it('never signs anyone in at another spelling of the sign-in path', async () => {
    const email = await newAccount('spelled');
    for (const spelling of signInSpellings) {
      const response = await signInAt(spelling, email, password);
      expect(response.status, spelling).toBe(404);
      expect(response.headers['set-cookie'], spelling).toBeUndefined();
      expect(JSON.parse(response.body).error.code, spelling).toBe('SY_ERR_NOT_FOUND');
    }
  });

  it('keeps a locked account locked whatever the spelling', async () => {
    await setSetting(server, adminKey, 'auth.signin.per_account_per_15min', 3);
    try {
      const email = await newAccount('locked');
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        expect((await signInAt('/api/auth/sign-in/email', email, `guess ${attempt}`)).status).toBe(401);
      }
      for (const spelling of signInSpellings) {
        const response = await signInAt(spelling, email, password, '192.0.2.2');
        expect(response.status, spelling).not.toBe(200);
        expect(response.headers['set-cookie'], spelling).toBeUndefined();
      }
      expect((await signInAt('/api/auth/sign-in/email', email, password)).status).toBe(429);
    } finally {
      await setSetting(server, adminKey, 'auth.signin.per_account_per_15min', 10);
    }
  });

  it('keeps a locked client IP locked whatever the spelling', async () => {
    await setSetting(server, adminKey, 'auth.signin.per_ip_per_15min', 3);
    try {
      const victim = await newAccount('iplock');
      const attacker = '198.51.100.99';
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        expect((await signInAt('/api/auth/sign-in/email', victim, `guess ${attempt}`, attacker)).status).toBe(401);
      }
      for (const spelling of signInSpellings) {
        const response = await signInAt(spelling, victim, password, attacker);
        expect(response.status, spelling).not.toBe(200);
      }
      expect((await signInAt('/api/auth/sign-in/email', victim, password, attacker)).status).toBe(429);
    } finally {
      await setSetting(server, adminKey, 'auth.signin.per_ip_per_15min', 50);
    }
  });

  it('sends no reset mail from another spelling of the reset path', async () => {
    const email = await newAccount('reset');
    for (const spelling of resetSpellings) {
      const response = await rawRequest(server.url, spelling, {
        method: 'POST',
        headers: { origin: server.url, 'x-forwarded-for': '192.0.2.3' },
        body: { email },
      });
      expect(response.status, spelling).toBe(404);
    }
    // The canonical path still mails, once: the spelled requests above sent nothing.
    const canonical = await rawRequest(server.url, '/api/auth/request-password-reset', {
      method: 'POST',
      headers: { origin: server.url, 'x-forwarded-for': '192.0.2.3' },
      body: { email },
    });
    expect(canonical.status).toBe(200);
    await smtp.waitForMail((mail) => mail.to.includes(email));
    expect(smtp.mails.filter((mail) => mail.to.includes(email))).toHaveLength(1);
  });
});
