import { startTestSmtpServer, type TestSmtpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, createBrowser } from '../testing/browser';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { setSetting } from '../testing/settings';
import { startTestServer, type TestServer } from '../testing/test-server';

const password = 'correct horse battery';
const sessionCookie = 'switchyard.session_token';

let server: TestServer;
let smtp: TestSmtpServer;
let adminKey: string;
let firstAdmin: { id: string; email: string };
let emailCounter = 0;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  server = await startTestServer({
    // trustProxy lets a test speak from a chosen client IP (X-Forwarded-For), so per-IP buckets stay apart.
    config: { ollama: { autodetect: false }, server: { trustProxy: true } },
    variables: { SMTP_URL: smtp.url, SMTP_FROM: 'Switchyard <accounts@switchyard.test>' },
  });
  adminKey = await server.createKey('prod', { admin: true, name: 'accounts admin' });
  firstAdmin = await server.parts.accounts.createUser({ email: 'root@example.com', password, role: 'admin' });
});

afterAll(async () => {
  await server?.destroy();
  await smtp?.close();
});

function uniqueEmail(name: string): string {
  emailCounter += 1;
  return `${name}.${emailCounter}@example.com`;
}

async function signUp(name: string): Promise<{ browser: Browser; email: string; id: string }> {
  const browser = createBrowser(server.url);
  const email = uniqueEmail(name);
  const response = await browser.post('/api/auth/sign-up/email', { name, email, password });
  expect(response.status, await response.clone().text()).toBe(200);
  return { browser, email, id: (await readJson(response)).user.id };
}

async function signIn(email: string, secret = password, headers: Record<string, string> = {}) {
  const browser = createBrowser(server.url);
  const response = await browser.request('POST', '/api/auth/sign-in/email', {
    body: { email, password: secret },
    headers,
  });
  return { browser, response };
}

function withAdminKey(method: string, path: string, body?: unknown) {
  return keyRequest(server.url, adminKey, method, path, body);
}

function chatWithKey(key: string) {
  return fetch(`${server.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'echo', message: 'hello' }),
  });
}

describe('sign-up, sign-in and sessions', () => {
  it('signs up with a cookie session that opens protected routes, and signs out for real', async () => {
    const browser = createBrowser(server.url);
    const email = uniqueEmail('ada');
    const response = await browser.post('/api/auth/sign-up/email', { name: 'Ada', email, password });
    expect(response.status).toBe(200);
    const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${sessionCookie}=`));
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);

    const me = await browser.get('/api/me');
    expect(me.status).toBe(200);
    expect(await readJson(me)).toMatchObject({ email, name: 'Ada', role: 'user' });
    expect((await browser.get('/api/keys')).status).toBe(200);
    expect((await createBrowser(server.url).get('/api/me')).status).toBe(401);

    const stolenCookie = `${sessionCookie}=${browser.cookies.get(sessionCookie)}`;
    const signOut = await browser.post('/api/auth/sign-out');
    expect(signOut.status).toBe(200);
    expect(browser.cookies.has(sessionCookie)).toBe(false);
    expect((await browser.get('/api/me')).status).toBe(401);
    // The session is gone on the server, not only from this browser.
    const replay = await fetch(`${server.url}/api/me`, { headers: { cookie: stolenCookie } });
    expect(replay.status).toBe(401);

    const wrong = await signIn(email, 'not the password');
    expect(wrong.response.status).toBe(401);
    expect(wrong.browser.cookies.has(sessionCookie)).toBe(false);
    const again = await signIn(email);
    expect(again.response.status).toBe(200);
    expect((await again.browser.get('/api/me')).status).toBe(200);
  });

  it('signs out everywhere: every session of the user ends', async () => {
    const { browser: laptop, email } = await signUp('grace');
    const { browser: phone, response } = await signIn(email);
    expect(response.status).toBe(200);
    expect((await phone.get('/api/me')).status).toBe(200);
    const other = await signUp('bystander');

    expect((await laptop.post('/api/auth/revoke-sessions')).status).toBe(200);
    expect((await phone.get('/api/me')).status).toBe(401);
    expect((await laptop.get('/api/me')).status).toBe(401);
    // Another user's session is untouched.
    expect((await other.browser.get('/api/me')).status).toBe(200);
  });

  it('answers under /api/auth-config which sign-in methods exist', async () => {
    const response = await fetch(`${server.url}/api/auth-config`);
    expect(await readJson(response)).toEqual({
      emailAndPassword: { signUp: true, passwordReset: 'email' },
      socialProviders: [],
      firstAccountBecomesAdmin: false,
    });
    // No OAuth client configured: the provider does not exist.
    const social = await createBrowser(server.url).post('/api/auth/sign-in/social', { provider: 'github' });
    expect(social.status).toBeGreaterThanOrEqual(400);
  });
});

describe('password reset by email', () => {
  it('mails a link that sets a new password; the old one and old sessions stop working', async () => {
    const { email } = await signUp('linus');
    const { browser: phone } = await signIn(email);
    expect((await phone.get('/api/me')).status).toBe(200);

    const request = await createBrowser(server.url).post('/api/auth/request-password-reset', { email });
    expect(request.status).toBe(200);
    const mail = await smtp.waitForMail((candidate) => candidate.to.includes(email));
    expect(mail.subject).toBe('Reset your Switchyard password');
    expect(mail.from).toBe('accounts@switchyard.test');
    const link = /https?:\/\/\S+/.exec(mail.text)?.[0] ?? '';
    expect(link.startsWith(`${server.url}/api/auth/reset-password/`)).toBe(true);

    // Following the link lands on the web app's reset form with the token.
    const landing = await fetch(link, { redirect: 'manual' });
    expect(landing.status).toBe(302);
    const location = new URL(landing.headers.get('location') ?? '', server.url);
    expect(location.pathname).toBe('/reset-password');
    const token = location.searchParams.get('token') ?? '';
    expect(token).not.toBe('');

    const newPassword = 'a brand new passphrase';
    const reset = await createBrowser(server.url).post('/api/auth/reset-password', { newPassword, token });
    expect(reset.status).toBe(200);
    expect((await signIn(email)).response.status).toBe(401);
    expect((await signIn(email, newPassword)).response.status).toBe(200);
    expect((await phone.get('/api/me')).status).toBe(401);
    // A token works once.
    const replay = await createBrowser(server.url).post('/api/auth/reset-password', {
      newPassword: 'yet another passphrase',
      token,
    });
    expect(replay.status).toBe(400);

    const logged = JSON.stringify(server.logs);
    expect(logged).not.toContain(newPassword);
    expect(logged).not.toContain(password);
  });

  it('answers the same for an unknown address and sends nothing', async () => {
    const email = uniqueEmail('nobody');
    const response = await createBrowser(server.url).post('/api/auth/request-password-reset', { email });
    expect(response.status).toBe(200);
    await expect(smtp.waitForMail((candidate) => candidate.to.includes(email), 500)).rejects.toThrow(/no matching/);
  });
});

describe('roles', () => {
  it('applies a role change to an existing session on its very next request', async () => {
    const { browser, id } = await signUp('margaret');
    expect((await browser.get('/api/users')).status).toBe(403);
    expect((await browser.get('/v1/admin/settings')).status).toBe(403);

    const promote = await withAdminKey('PUT', `/api/users/${id}/role`, { role: 'admin' });
    expect(promote.status).toBe(200);
    expect((await readJson(promote)).role).toBe('admin');
    const users = await browser.get('/api/users');
    expect(users.status).toBe(200);
    expect((await readJson(users)).users.map((user: { id: string }) => user.id)).toContain(firstAdmin.id);
    expect((await browser.get('/v1/admin/settings')).status).toBe(200);
    expect((await readJson(await browser.get('/api/me'))).role).toBe('admin');

    // An admin signed in by cookie changes roles too, and a demotion is just as immediate.
    const { browser: root } = await signIn(firstAdmin.email);
    const demote = await root.request('PUT', `/api/users/${id}/role`, { body: { role: 'user' } });
    expect(demote.status).toBe(200);
    expect((await browser.get('/api/users')).status).toBe(403);
    expect((await browser.get('/v1/admin/settings')).status).toBe(403);
  });

  it('keeps at least one admin', async () => {
    const response = await withAdminKey('PUT', `/api/users/${firstAdmin.id}/role`, { role: 'user' });
    expect(response.status).toBe(409);
    expect((await readJson(response)).error.code).toBe('SY_ERR_CONFLICT');
    const missing = await withAdminKey('PUT', '/api/users/no-such-user/role', { role: 'admin' });
    expect(missing.status).toBe(404);
  });
});

describe('brute-force protection', () => {
  it('locks an account after N failed sign-ins with 429 and Retry-After; successes do not count', async () => {
    await setSetting(server, adminKey, 'auth.signin.per_account_per_15min', 3);
    try {
      const { email } = await signUp('victim');
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        expect((await signIn(email, `guess ${attempt}`)).response.status, `attempt ${attempt}`).toBe(401);
      }
      const locked = await signIn(email, 'guess 4');
      expect(locked.response.status).toBe(429);
      const retryAfter = Number(locked.response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect((await readJson(locked.response)).error.code).toBe('SY_ERR_RATE_LIMITED');
      // Even the right password waits out the lock.
      expect((await signIn(email)).response.status).toBe(429);

      // The lock is per account: another account from the same address signs in, as often as it likes.
      const { email: neighbour } = await signUp('neighbour');
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        expect((await signIn(neighbour)).response.status, `sign-in ${attempt}`).toBe(200);
      }
    } finally {
      await setSetting(server, adminKey, 'auth.signin.per_account_per_15min', 10);
    }
  });

  it('locks a client IP after N failed sign-ins across accounts', async () => {
    const emails = await Promise.all(['ip1', 'ip2', 'ip3', 'ip4'].map(async (name) => (await signUp(name)).email));
    await setSetting(server, adminKey, 'auth.signin.per_ip_per_15min', 3);
    try {
      const attacker = { 'x-forwarded-for': '203.0.113.7' };
      for (const email of emails.slice(0, 3)) {
        expect((await signIn(email, 'wrong guess', attacker)).response.status).toBe(401);
      }
      expect((await signIn(emails[3] ?? '', 'wrong guess', attacker)).response.status).toBe(429);
      expect((await signIn(emails[3] ?? '', password, attacker)).response.status).toBe(429);
      // Someone else at another address is not affected.
      expect((await signIn(emails[3] ?? '', password, { 'x-forwarded-for': '203.0.113.8' })).response.status).toBe(200);
    } finally {
      await setSetting(server, adminKey, 'auth.signin.per_ip_per_15min', 50);
    }
  });
});

describe("a user's own API keys", () => {
  it('creates, lists and revokes only your own keys; another user gets 404', async () => {
    const alice = await signUp('alice');
    const bob = await signUp('bob');

    const created = await alice.browser.post('/api/keys', { name: 'laptop', environment: 'dev' });
    expect(created.status).toBe(201);
    const { key, record } = await readJson(created);
    expect(key).toMatch(/^dev_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'laptop', environment: 'dev', admin: false, userId: alice.id });
    expect(record.scopes).toEqual(['chat', 'images', 'messages', 'apps']);
    const answer = await chatWithKey(key);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-environment')).toBe('dev');

    const aliceKeys = (await readJson(await alice.browser.get('/api/keys'))).keys;
    expect(aliceKeys.map((entry: { id: string }) => entry.id)).toEqual([record.id]);
    expect(JSON.stringify(aliceKeys)).not.toContain(key);
    expect((await readJson(await bob.browser.get('/api/keys'))).keys).toEqual([]);

    const stolen = await bob.browser.request('DELETE', `/api/keys/${record.id}`);
    expect(stolen.status).toBe(404);
    expect((await bob.browser.request('DELETE', '/api/keys/not-a-uuid')).status).toBe(404);
    expect((await chatWithKey(key)).status).toBe(200);

    const adminList = (await readJson(await withAdminKey('GET', '/v1/admin/keys'))).keys;
    expect(adminList.find((entry: { id: string }) => entry.id === record.id)).toMatchObject({ userId: alice.id });

    const revoked = await alice.browser.request('DELETE', `/api/keys/${record.id}`);
    expect(revoked.status).toBe(200);
    expect((await readJson(revoked)).revokedAt).not.toBeNull();
    const rejected = await chatWithKey(key);
    expect(rejected.status).toBe(401);
    expect((await readJson(rejected)).error.code).toBe('SY_ERR_API_KEY_REVOKED');
    const adminWithRevoked = (await readJson(await withAdminKey('GET', '/v1/admin/keys?include_revoked=true'))).keys;
    expect(adminWithRevoked.find((entry: { id: string }) => entry.id === record.id)?.revokedAt).not.toBeNull();
    expect((await readJson(await alice.browser.get('/api/keys'))).keys).toEqual([]);
    const withRevoked = (await readJson(await alice.browser.get('/api/keys?include_revoked=true'))).keys;
    expect(withRevoked.map((entry: { id: string }) => entry.id)).toEqual([record.id]);

    // An admin revokes any user's key through the admin API.
    const second = await readJson(await alice.browser.post('/api/keys', { name: 'ci', environment: 'prod' }));
    expect((await withAdminKey('DELETE', `/v1/admin/keys/${second.record.id}`)).status).toBe(200);
    expect((await chatWithKey(second.key)).status).toBe(401);
  });

  it('needs a session: a key cannot mint keys, and nobody signed out can', async () => {
    const byKey = await withAdminKey('POST', '/api/keys', { name: 'minted', environment: 'prod' });
    expect(byKey.status).toBe(401);
    const anonymous = await fetch(`${server.url}/api/keys`);
    expect(anonymous.status).toBe(401);
  });
});

describe('key scopes', () => {
  it('gives 403 to a key without the scope a route needs', async () => {
    const { browser } = await signUp('scoped');
    const imagesOnly = await readJson(
      await browser.post('/api/keys', { name: 'img', environment: 'prod', scopes: ['images'] }),
    );
    expect(imagesOnly.record.scopes).toEqual(['images']);
    const denied = await chatWithKey(imagesOnly.key);
    expect(denied.status).toBe(403);
    expect(await readJson(denied)).toEqual({
      error: { code: 'SY_ERR_FORBIDDEN', message: "This key lacks the 'chat' scope" },
    });
    const openai = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${imagesOnly.key}` },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(openai.status).toBe(403);
    expect((await readJson(openai)).error.type).toBe('permission_error');

    const chatOnly = await readJson(
      await browser.post('/api/keys', { name: 'chat', environment: 'prod', scopes: ['chat'] }),
    );
    expect((await chatWithKey(chatOnly.key)).status).toBe(200);
    const onAdmin = await fetch(`${server.url}/v1/admin/settings`, {
      headers: { authorization: `Bearer ${chatOnly.key}` },
    });
    expect(onAdmin.status).toBe(403);

    expect((await browser.post('/api/keys', { name: 'x', environment: 'prod', scopes: ['admin'] })).status).toBe(403);
    expect((await browser.post('/api/keys', { name: 'x', environment: 'prod', scopes: ['bogus'] })).status).toBe(400);
    expect((await browser.post('/api/keys', { name: 'x', environment: 'prod', scopes: [] })).status).toBe(400);
  });

  it("gives admin keys the 'admin' scope and refuses it to others", async () => {
    const admin = await withAdminKey('POST', '/v1/admin/keys', {
      name: 'ops',
      environment: 'prod',
      admin: true,
      scopes: ['chat'],
    });
    expect(admin.status).toBe(201);
    const created = await readJson(admin);
    expect(created.record.scopes).toEqual(['chat', 'admin']);
    const settings = await fetch(`${server.url}/v1/admin/settings`, {
      headers: { authorization: `Bearer ${created.key}` },
    });
    expect(settings.status).toBe(200);

    const plain = await withAdminKey('POST', '/v1/admin/keys', { name: 'x', environment: 'prod', scopes: ['admin'] });
    expect(plain.status).toBe(400);
  });
});

describe('mass assignment', () => {
  it('never lets a sign-up or profile update set the role or other protected fields', async () => {
    const browser = createBrowser(server.url);
    const email = uniqueEmail('mallory');
    const response = await browser.post('/api/auth/sign-up/email', {
      name: 'Mallory',
      email,
      password,
      role: 'admin',
      isAdmin: true,
      environment: 'dev',
      emailVerified: true,
    });
    expect(response.status).toBe(200);
    const { user } = await readJson(response);
    expect(user.role).toBe('user');
    expect(user.emailVerified).toBe(false);
    expect((await readJson(await browser.get('/api/me'))).role).toBe('user');
    expect((await browser.get('/api/users')).status).toBe(403);

    const escalate = await browser.post('/api/auth/update-user', { role: 'admin' });
    expect(escalate.status).toBe(400);
    const rename = await browser.post('/api/auth/update-user', { name: 'Mallory Renamed', role: undefined });
    expect(rename.status).toBe(200);
    const me = await readJson(await browser.get('/api/me'));
    expect(me).toMatchObject({ name: 'Mallory Renamed', role: 'user' });
    const listed = (await readJson(await withAdminKey('GET', '/api/users?limit=1000'))).users;
    expect(listed.find((entry: { email: string }) => entry.email === email)).toMatchObject({ role: 'user' });
  });

  it('rejects owner, admin and environment fields on key and role writes', async () => {
    const alice = await signUp('owner');
    const bob = await signUp('target');
    for (const extra of [{ userId: bob.id }, { isAdmin: true }, { admin: true }]) {
      const response = await alice.browser.post('/api/keys', { name: 'sneaky', environment: 'prod', ...extra });
      expect(response.status, JSON.stringify(extra)).toBe(400);
      expect((await readJson(response)).error.code).toBe('SY_ERR_VALIDATION');
    }
    expect((await readJson(await alice.browser.get('/api/keys'))).keys).toEqual([]);
    expect((await readJson(await bob.browser.get('/api/keys'))).keys).toEqual([]);

    const role = await withAdminKey('PUT', `/api/users/${bob.id}/role`, { role: 'user', email: 'root@example.com' });
    expect(role.status).toBe(400);
    const adminKeyWithOwner = await withAdminKey('POST', '/v1/admin/keys', {
      name: 'owned',
      environment: 'prod',
      userId: alice.id,
    });
    expect(adminKeyWithOwner.status).toBe(400);
  });
});

describe('chat limits for signed-in users and anonymous clients', () => {
  it('counts a signed-in user against rate_limit.user.per_minute, separately from other users', async () => {
    await setSetting(server, adminKey, 'rate_limit.user.per_minute', 2);
    try {
      const { browser } = await signUp('chatty');
      const chat = (who: Browser) => who.request('POST', '/v1/chat', { body: { model: 'echo', message: 'hi' } });
      const first = await chat(browser);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-limit')).toBe('2');
      expect(first.headers.get('x-environment')).toBe('prod');
      expect((await chat(browser)).status).toBe(200);
      const limited = await chat(browser);
      expect(limited.status).toBe(429);
      expect((await readJson(limited)).error.message).toMatch(/for this user/);
      const { browser: other } = await signUp('quiet');
      expect((await chat(other)).status).toBe(200);
    } finally {
      await setSetting(server, adminKey, 'rate_limit.user.per_minute', 100);
    }
  });

  it('counts anonymous callers per IP against rate_limit.anonymous.per_minute', async () => {
    await setSetting(server, adminKey, 'rate_limit.anonymous.per_minute', 2);
    try {
      const chat = (ip: string) =>
        fetch(`${server.url}/v1/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
          body: JSON.stringify({ model: 'echo', message: 'hi' }),
        });
      const first = await chat('198.51.100.20');
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-limit')).toBe('2');
      expect((await chat('198.51.100.20')).status).toBe(200);
      expect((await chat('198.51.100.20')).status).toBe(429);
      expect((await chat('198.51.100.21')).status).toBe(200);
    } finally {
      await setSetting(server, adminKey, 'rate_limit.anonymous.per_minute', 20);
    }
  });
});

describe('cross-site requests', () => {
  it('refuses cookie-authenticated writes without a trusted Origin', async () => {
    const { browser } = await signUp('csrf');
    const cookie = `${sessionCookie}=${browser.cookies.get(sessionCookie)}`;
    const write = (origin: string | null) =>
      fetch(`${server.url}/api/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...(origin ? { origin } : {}) },
        body: JSON.stringify({ name: 'csrf', environment: 'prod' }),
      });
    expect((await write(null)).status).toBe(403);
    expect((await write('https://evil.example')).status).toBe(403);
    expect((await write(server.url)).status).toBe(201);
    // Reading is safe without an Origin.
    expect((await fetch(`${server.url}/api/keys`, { headers: { cookie } })).status).toBe(200);
    // better-auth guards its own endpoints the same way.
    const signOut = await fetch(`${server.url}/api/auth/sign-out`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: 'https://evil.example' },
      body: '{}',
    });
    expect(signOut.status).toBe(403);
    expect((await browser.get('/api/me')).status).toBe(200);
  });
});
