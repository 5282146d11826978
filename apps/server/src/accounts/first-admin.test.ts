import { afterEach, describe, expect, it } from 'vitest';
import { createBrowser } from '../testing/browser';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const password = 'correct horse battery';
let server: TestServer | undefined;
afterEach(async () => {
  await server?.destroy();
  server = undefined;
});

async function signUp(target: TestServer, email: string) {
  const browser = createBrowser(target.url);
  const response = await browser.post('/api/auth/sign-up/email', { name: email.split('@')[0], email, password });
  expect(response.status, await response.clone().text()).toBe(200);
  const me = await readJson(await browser.get('/api/me'));
  return { browser, role: me.role as string };
}

const firstAccountBecomesAdmin = async (target: TestServer) =>
  (await readJson(await fetch(`${target.url}/api/auth-config`))).firstAccountBecomesAdmin as boolean;

describe('the first account on a fresh install', () => {
  it('becomes admin; later accounts are users, and auth-config says so before and after', async () => {
    server = await startTestServer({ config: { ollama: { autodetect: false }, auth: { firstUserAdmin: true } } });
    expect(await firstAccountBecomesAdmin(server)).toBe(true);
    const first = await signUp(server, 'owner@example.com');
    expect(first.role).toBe('admin');
    expect((await first.browser.get('/api/users')).status).toBe(200);
    expect(await firstAccountBecomesAdmin(server)).toBe(false);
    const second = await signUp(server, 'guest@example.com');
    expect(second.role).toBe('user');
    expect((await second.browser.get('/api/users')).status).toBe(403);
  });

  it('of accounts signing up at the same moment, exactly one becomes admin', async () => {
    server = await startTestServer({ config: { ollama: { autodetect: false }, auth: { firstUserAdmin: true } } });
    const target = server;
    const roles = await Promise.all(
      Array.from({ length: 6 }, (_unused, index) => signUp(target, `racer${index}@example.com`)),
    );
    expect(roles.filter((entry) => entry.role === 'admin')).toHaveLength(1);
  });

  it('stays a user when an admin exists already (made with the CLI) or the option is off', async () => {
    server = await startTestServer({ config: { ollama: { autodetect: false }, auth: { firstUserAdmin: true } } });
    await server.parts.accounts.createUser({ email: 'root@example.com', password, role: 'admin' });
    expect(await firstAccountBecomesAdmin(server)).toBe(false);
    expect((await signUp(server, 'late@example.com')).role).toBe('user');
    await server.destroy();

    server = await startTestServer({ config: { ollama: { autodetect: false }, auth: { firstUserAdmin: false } } });
    expect(await firstAccountBecomesAdmin(server)).toBe(false);
    expect((await signUp(server, 'plain@example.com')).role).toBe('user');
  });
});
