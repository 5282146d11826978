import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createBrowser } from '../testing/browser';
import { type CliResult, runCli } from '../testing/cli-process';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const password = 'correct horse battery';

function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const outgoing = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'GET', headers: { host } },
      (incoming) => {
        incoming.resume();
        resolve(incoming.statusCode ?? 0);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('embedded mode without SMTP, with GitHub sign-in configured', () => {
  let dataDir: string;
  let server: TestServer;
  const config = {
    ollama: { autodetect: false },
    auth: { github: { clientId: 'gh-client-id', clientSecret: 'gh-client-secret' } },
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-accounts-'));
    server = await startTestServer({ dataDir, config });
  });

  afterAll(async () => {
    await server?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes the reset link to the log at warn level, never a password', async () => {
    const browser = createBrowser(server.url);
    const email = 'forgetful@example.com';
    expect((await browser.post('/api/auth/sign-up/email', { name: 'F', email, password })).status).toBe(200);
    const response = await createBrowser(server.url).post('/api/auth/request-password-reset', { email });
    expect(response.status).toBe(200);
    const entry = server.logs.find((line) => line.to === email && typeof line.url === 'string');
    expect(entry?.level).toBe(40);
    expect(String(entry?.url)).toContain('/api/auth/reset-password/');
    expect(JSON.stringify(server.logs)).not.toContain(password);
    expect(await readJson(await fetch(`${server.url}/api/auth-config`))).toEqual({
      emailAndPassword: { signUp: true, passwordReset: 'log' },
      socialProviders: ['github'],
      firstAccountBecomesAdmin: false,
    });
  });

  it('offers GitHub sign-in with the callback under /api/auth/callback/github, and no Google', async () => {
    const github = await createBrowser(server.url).post('/api/auth/sign-in/social', {
      provider: 'github',
      callbackURL: '/',
    });
    expect(github.status).toBe(200);
    const authorize = new URL((await readJson(github)).url);
    expect(authorize.origin + authorize.pathname).toBe('https://github.com/login/oauth/authorize');
    expect(authorize.searchParams.get('client_id')).toBe('gh-client-id');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.url}/api/auth/callback/github`);
    const google = await createBrowser(server.url).post('/api/auth/sign-in/social', {
      provider: 'google',
      callbackURL: '/',
    });
    expect(google.status).toBe(404);
  });

  it('answers only on localhost until PUBLIC_URL is set, so links never point at a forged Host', async () => {
    expect(await statusWithHost(`${server.url}/api/auth/get-session`, 'attacker.example')).toBe(403);
    expect(await statusWithHost(`${server.url}/api/auth/get-session`, new URL(server.url).host)).toBe(200);
  });

  it('keeps the generated secret (mode 0600) so sessions survive a restart', async () => {
    const browser = createBrowser(server.url);
    const email = 'persistent@example.com';
    expect((await browser.post('/api/auth/sign-up/email', { name: 'P', email, password })).status).toBe(200);
    const secretFile = await stat(join(dataDir, 'auth-secret'));
    expect(secretFile.mode & 0o777).toBe(0o600);

    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    await server.close();
    server = await startTestServer({ dataDir, config });
    const me = await fetch(`${server.url}/api/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect((await readJson(me)).email).toBe(email);
  });
});

describe('server mode', () => {
  it('refuses to start without AUTH_SECRET, saying how to make one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-accounts-'));
    try {
      await expect(
        startTestServer({
          dataDir,
          variables: {
            // Never contacted: the secret is checked before any database is opened.
            DATABASE_URL: 'postgres://switchyard@127.0.0.1:9/prod',
            DEV_DATABASE_URL: 'postgres://switchyard@127.0.0.1:9/dev',
            AUTH_SECRET: '',
          },
        }),
      ).rejects.toThrow(/AUTH_SECRET.*openssl rand -base64 32/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('switchyard admin create', () => {
  let directory: string;
  let dataDir: string;
  let variables: Record<string, string>;
  let server: TestServer | undefined;

  const cli = (args: string[], input?: string): Promise<CliResult> =>
    runCli(args, { cwd: directory, variables, timeoutMs: 90_000, ...(input === undefined ? {} : { input }) });

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-admin-cli-'));
    dataDir = join(directory, 'data');
    const configPath = join(directory, 'switchyard.config.yaml');
    await writeFile(configPath, stringify({ ollama: { autodetect: false } }));
    variables = { SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_CONFIG: configPath, LOG_LEVEL: 'warn' };
  });

  afterAll(async () => {
    await server?.destroy();
    await rm(directory, { recursive: true, force: true });
  });

  async function signInRole(email: string, secret: string): Promise<string | null> {
    if (!server) throw new Error('no server');
    const browser = createBrowser(server.url);
    const response = await browser.post('/api/auth/sign-in/email', { email, password: secret });
    if (response.status !== 200) return null;
    return (await readJson(await browser.get('/api/me'))).role;
  }

  it('creates the first admin directly when no server runs, then through the running server', async () => {
    const first = await cli(['admin', 'create', '--email', 'Root@Example.com', '--password', 'root password 1']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(first.stderr).toContain('Created admin root@example.com');
    expect(first.stdout + first.stderr).not.toContain('root password 1');
    expect(first.stderr).toContain('--password leaves the password in shell history');

    server = await startTestServer({ dataDir });
    expect(await signInRole('root@example.com', 'root password 1')).toBe('admin');

    // The server holds the data dir now: this must go through its admin socket.
    // The password from stdin (a pipe, as in a script): nothing in the argument list.
    const second = await cli(
      ['admin', 'create', '--email', 'second@example.com', '--password-stdin'],
      'second password\n',
    );
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('warning');
    expect(await signInRole('second@example.com', 'second password')).toBe('admin');

    const scoped = await cli(['keys', 'create', '--env', 'prod', '--name', 'ci', '--scopes', 'chat']);
    expect(scoped.code, scoped.stderr).toBe(0);
    expect(scoped.stderr).toContain('scopes chat)');
    const listed = JSON.parse((await cli(['keys', 'list', '--json'])).stdout);
    expect(listed.find((key: { name: string }) => key.name === 'ci').scopes).toEqual(['chat']);
  }, 240_000);

  it('refuses duplicates, short passwords and unknown scopes', async () => {
    const duplicate = await cli(['admin', 'create', '--email', 'ROOT@example.com', '--password', 'another password']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/exists already/);
    const short = await cli(['admin', 'create', '--email', 'third@example.com', '--password', 'short']);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/8 to 128/);
    // No password flag and stdin not a terminal (here /dev/null): read from stdin, which is empty.
    const missing = await cli(['admin', 'create', '--email', 'third@example.com']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('read no password on stdin');
    const scope = await cli(['keys', 'create', '--env', 'prod', '--name', 'x', '--scopes', 'chat,telepathy']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/telepathy/);
  }, 240_000);
});
