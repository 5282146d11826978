import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let adminKey: string;
let userKey: string;

beforeAll(async () => {
  server = await startTestServer({
    // trustProxy: each test speaks from its own client IP (X-Forwarded-For), so the per-IP counts stay apart.
    config: { ollama: { autodetect: false }, server: { trustProxy: true } },
  });
  adminKey = await server.createKey('prod', { admin: true });
  userKey = await server.createKey('prod');
});

afterAll(async () => {
  await server?.destroy();
});

let madeUp = 0;
function madeUpKey(): string {
  madeUp += 1;
  return `prod_${'x'.repeat(40)}${String(madeUp).padStart(3, '0')}`;
}

function status(ip: string, authorization: string) {
  return fetch(`${server.url}/v1/status`, { headers: { authorization, 'x-forwarded-for': ip } });
}

function resetPassword(ip: string, token: string) {
  return fetch(`${server.url}/api/auth/reset-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, 'x-forwarded-for': ip },
    body: JSON.stringify({ token, newPassword: 'a brand new passphrase' }),
  });
}

function resetLink(ip: string, token: string) {
  return fetch(`${server.url}/api/auth/reset-password/${token}?callbackURL=/reset-password`, {
    headers: { 'x-forwarded-for': ip },
    redirect: 'manual',
  });
}

async function setting(key: string): Promise<unknown> {
  const body = await readJson(await keyRequest(server.url, adminKey, 'GET', '/v1/admin/settings'));
  return body.settings.find((entry: { key: string }) => entry.key === key)?.value;
}

async function setFailureLimit(value: number) {
  const response = await keyRequest(server.url, adminKey, 'PUT', '/v1/admin/settings/rate_limit.auth_failures.per_ip', {
    value,
  });
  expect(response.status).toBe(200);
}

async function expectLimited(response: Response) {
  expect(response.status).toBe(429);
  expect((await readJson(response)).error.code).toBe('SY_ERR_RATE_LIMITED');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('failed authentications are limited per client IP', () => {
  it('is a setting, 60 a minute by default', async () => {
    expect(await setting('rate_limit.auth_failures.per_ip')).toBe(60);
  });

  it('answers 429 after N invalid API keys from one address; valid keys and other addresses still work', async () => {
    await setFailureLimit(3);
    try {
      const attacker = '203.0.113.50';
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const response = await status(attacker, `Bearer ${madeUpKey()}`);
        expect(response.status, `attempt ${attempt}`).toBe(401);
        expect((await readJson(response)).error.code).toBe('SY_ERR_INVALID_API_KEY');
      }
      await expectLimited(await status(attacker, `Bearer ${madeUpKey()}`));
      await expectLimited(await status(attacker, `Bearer ${madeUpKey()}`));
      // Every kind of failing key counts and is refused: a bad prefix, a malformed header.
      await expectLimited(await status(attacker, 'Bearer not-a-key'));
      await expectLimited(await status(attacker, 'Basic dXNlcjpwYXNz'));

      // A valid key from the same address keeps working: the limit stops floods, it locks nobody out.
      expect((await status(attacker, `Bearer ${userKey}`)).status).toBe(200);
      const bystander = await status('203.0.113.51', `Bearer ${madeUpKey()}`);
      expect(bystander.status).toBe(401);
    } finally {
      await setFailureLimit(60);
    }
  });

  it('answers 429 after N bad password-reset tokens from one address, for the form and the mailed link', async () => {
    await setFailureLimit(3);
    try {
      const attacker = '203.0.113.60';
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        expect((await resetPassword(attacker, `guessed-token-${attempt}`)).status, `attempt ${attempt}`).toBe(400);
      }
      const link = await resetLink(attacker, 'guessed-token-3');
      expect(link.status).toBe(302);
      expect(link.headers.get('location')).toMatch(/error=INVALID_TOKEN/);
      await expectLimited(await resetPassword(attacker, 'guessed-token-4'));
      await expectLimited(await resetLink(attacker, 'guessed-token-5'));
      // Bad keys and bad tokens share the address's count.
      await expectLimited(await status(attacker, `Bearer ${madeUpKey()}`));
      expect((await resetPassword('203.0.113.61', 'guessed-token-6')).status).toBe(400);
    } finally {
      await setFailureLimit(60);
    }
  });
});
