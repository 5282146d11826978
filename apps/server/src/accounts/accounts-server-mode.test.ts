import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServerModeEnvironment, type ServerModeEnvironment, serverModeAvailable } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Browser, createBrowser } from '../testing/browser';
import { eventually, runCli } from '../testing/cli-process';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer, testAuthSecret } from '../testing/test-server';

const available = await serverModeAvailable('accounts in server mode');

const password = 'correct horse battery';

describe.skipIf(!available)('accounts across two API processes on PostgreSQL', () => {
  let environment: ServerModeEnvironment | undefined;
  let variables: Record<string, string>;
  let serverA: TestServer;
  let serverB: TestServer;
  let adminKey: string;
  let workDir: string;

  beforeAll(async () => {
    environment = await createServerModeEnvironment();
    variables = environment.variables;
    serverA = await startTestServer({ variables });
    serverB = await startTestServer({ variables });
    adminKey = await serverA.createKey('prod', { admin: true });
    await serverA.parts.accounts.createUser({ email: 'root@example.com', password, role: 'admin' });
    workDir = await mkdtemp(join(tmpdir(), 'switchyard-accounts-pg-'));
  }, 120_000);

  afterAll(async () => {
    await serverA?.destroy();
    await serverB?.destroy();
    await environment?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  async function signUp(server: TestServer, email: string): Promise<{ browser: Browser; id: string }> {
    const browser = createBrowser(server.url);
    const response = await browser.post('/api/auth/sign-up/email', { name: 'PG user', email, password });
    expect(response.status).toBe(200);
    return { browser, id: (await readJson(response)).user.id };
  }

  /** The same cookies, presented to another process. */
  function on(server: TestServer, browser: Browser): Browser {
    const other = createBrowser(server.url);
    for (const [name, value] of browser.cookies) other.cookies.set(name, value);
    return other;
  }

  function asAdmin(server: TestServer, method: string, path: string, body?: unknown) {
    return keyRequest(server.url, adminKey, method, path, body);
  }

  it('accepts a session made by one process on the other', async () => {
    const { browser } = await signUp(serverA, 'shared@example.com');
    const me = await on(serverB, browser).get('/api/me');
    expect(me.status).toBe(200);
    expect((await readJson(me)).email).toBe('shared@example.com');
  });

  it('applies a role change made on one process to a session on the other within a second', async () => {
    const { browser, id } = await signUp(serverA, 'promoted@example.com');
    const onB = on(serverB, browser);
    expect((await onB.get('/api/users')).status).toBe(403);
    const started = Date.now();
    expect((await asAdmin(serverA, 'PUT', `/api/users/${id}/role`, { role: 'admin' })).status).toBe(200);
    expect(await eventually(async () => (await onB.get('/api/users')).status === 200, 1500, 20)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await asAdmin(serverB, 'PUT', `/api/users/${id}/role`, { role: 'user' })).status).toBe(200);
    expect(await eventually(async () => (await browser.get('/api/users')).status === 403, 1500, 20)).toBe(true);
  });

  it('ends sessions on every process when the user signs out everywhere', async () => {
    const { browser } = await signUp(serverA, 'everywhere@example.com');
    const onB = on(serverB, browser);
    expect((await onB.get('/api/me')).status).toBe(200);
    expect((await browser.post('/api/auth/revoke-sessions')).status).toBe(200);
    expect(await eventually(async () => (await onB.get('/api/me')).status === 401, 1500, 20)).toBe(true);
  });

  it('counts failed sign-ins across processes (Redis) towards one lock', async () => {
    const setting = async (key: string, value: number) =>
      (await asAdmin(serverA, 'PUT', `/v1/admin/settings/${key}`, { value })).status;
    expect(await setting('auth.signin.per_account_per_15min', 2)).toBe(200);
    // Redis outlives test runs: the per-IP bucket of 127.0.0.1 may hold earlier runs' failures.
    expect(await setting('auth.signin.per_ip_per_15min', 1_000_000)).toBe(200);
    try {
      const settingOnB = async () =>
        (await readJson(await asAdmin(serverB, 'GET', '/v1/admin/settings'))).settings.find(
          (entry: { key: string }) => entry.key === 'auth.signin.per_account_per_15min',
        )?.value === 2;
      expect(await eventually(settingOnB)).toBe(true);
      // A fresh address per run, for the same reason.
      const email = `target.${randomUUID()}@example.com`;
      await signUp(serverA, email);
      const attempt = (server: TestServer) =>
        createBrowser(server.url).post('/api/auth/sign-in/email', { email, password: 'nope!' });
      expect((await attempt(serverA)).status).toBe(401);
      expect((await attempt(serverB)).status).toBe(401);
      const locked = await attempt(serverA);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await attempt(serverB)).status).toBe(429);
    } finally {
      await setting('auth.signin.per_account_per_15min', 10);
      await setting('auth.signin.per_ip_per_15min', 50);
    }
  });

  it('creates an admin from the CLI straight in PostgreSQL, and needs AUTH_SECRET for it', async () => {
    const configPath = join(workDir, 'switchyard.config.yaml');
    await writeFile(configPath, stringify({ ollama: { autodetect: false } }));
    const cliVariables = { ...variables, SWITCHYARD_CONFIG: configPath, SWITCHYARD_DATA_DIR: join(workDir, 'data') };
    const args = ['admin', 'create', '--email', 'ops@example.com', '--password', 'ops password'];

    const refused = await runCli(args, { cwd: workDir, variables: cliVariables });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/AUTH_SECRET/);

    const created = await runCli(args, { cwd: workDir, variables: { ...cliVariables, AUTH_SECRET: testAuthSecret } });
    expect(created.code, created.stderr).toBe(0);
    const browser = createBrowser(serverB.url);
    expect(
      (await browser.post('/api/auth/sign-in/email', { email: 'ops@example.com', password: 'ops password' })).status,
    ).toBe(200);
    expect((await browser.get('/api/users')).status).toBe(200);
  }, 120_000);
});
