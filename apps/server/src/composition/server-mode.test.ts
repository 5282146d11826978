import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUsageRepository } from '@switchyard/db';
import { createServerModeEnvironment, type ServerModeEnvironment, serverModeAvailable } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { eventually, runCli } from '../testing/cli-process';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const available = await serverModeAvailable('server mode tests');

describe.skipIf(!available)('server mode: two API processes on PostgreSQL and Redis', () => {
  let environment: ServerModeEnvironment | undefined;
  let serverVariables: ServerModeEnvironment['variables'];
  let serverA: TestServer;
  let serverB: TestServer;
  let adminKey: string;

  beforeAll(async () => {
    environment = await createServerModeEnvironment();
    const { variables } = environment;
    serverVariables = variables;
    serverA = await startTestServer({ variables });
    adminKey = await serverA.createKey('prod', { admin: true, name: 'server mode admin' });
    // B starts after the admin key exists, so it loads it at boot rather than by notification.
    serverB = await startTestServer({ variables });
  }, 120_000);

  afterAll(async () => {
    await serverA?.destroy();
    await serverB?.destroy();
    await environment?.drop();
  });

  function admin(server: TestServer, method: string, path: string, body?: unknown) {
    return keyRequest(server.url, adminKey, method, path, body);
  }

  function chat(server: TestServer, key: string) {
    return fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'shared state' }] }),
    });
  }

  async function status(server: TestServer, key: string): Promise<number> {
    const response = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${key}` } });
    await response.body?.cancel();
    return response.status;
  }

  async function createKeyThroughApi(server: TestServer, environment: 'prod' | 'dev', name: string) {
    const response = await admin(server, 'POST', '/v1/admin/keys', { name, environment });
    expect(response.status).toBe(201);
    const created = await readJson(response);
    return { key: created.key as string, id: created.record.id as string };
  }

  async function settingValue(server: TestServer, key: string): Promise<unknown> {
    const body = await readJson(await admin(server, 'GET', '/v1/admin/settings'));
    return body.settings.find((setting: { key: string }) => setting.key === key)?.value;
  }

  /** Sets a setting through A and waits until B has heard of it. */
  async function setEverywhere(key: string, value: number) {
    const response = await admin(serverA, 'PUT', `/v1/admin/settings/${key}`, { value });
    expect(response.status).toBe(200);
    expect(await eventually(async () => (await settingValue(serverB, key)) === value)).toBe(true);
  }

  it('reports both databases and Redis as ready', async () => {
    for (const server of [serverA, serverB]) {
      const response = await fetch(`${server.url}/ready`);
      expect(response.status).toBe(200);
      const body = await readJson(response);
      expect(body).toMatchObject({
        status: 'ready',
        mode: 'server',
        checks: { database_prod: { ok: true }, database_dev: { ok: true }, redis: { ok: true } },
      });
    }
  });

  it('a key created on A works on B without a restart, and a key revoked on A is rejected on B', async () => {
    const { key, id } = await createKeyThroughApi(serverA, 'dev', 'cross-process');
    expect(await eventually(async () => (await status(serverB, key)) === 200)).toBe(true);
    const accepted = await chat(serverB, key);
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('x-environment')).toBe('dev');

    expect((await admin(serverA, 'DELETE', `/v1/admin/keys/${id}`)).status).toBe(200);
    expect(await eventually(async () => (await status(serverB, key)) === 401)).toBe(true);
    const rejected = await chat(serverB, key);
    expect(rejected.status).toBe(401);
    expect((await readJson(rejected)).error.code).toBe('SY_ERR_API_KEY_REVOKED');
  });

  it('a setting changed on A applies on B', async () => {
    const response = await admin(serverA, 'PUT', '/v1/admin/settings/rate_limit.chat.prod', { value: 42 });
    expect(response.status).toBe(200);
    expect((await readJson(response)).value).toBe(42);
    expect(await eventually(async () => (await settingValue(serverB, 'rate_limit.chat.prod')) === 42)).toBe(true);

    const { key } = await createKeyThroughApi(serverA, 'prod', 'setting probe');
    expect(await eventually(async () => (await status(serverB, key)) === 200)).toBe(true);
    const answer = await chat(serverB, key);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-ratelimit-limit')).toBe('42');
  });

  it('shares one rate limit bucket per key across processes', async () => {
    await setEverywhere('rate_limit.chat.prod', 15);
    const { key } = await createKeyThroughApi(serverA, 'prod', 'rate limited');
    expect(await eventually(async () => (await status(serverB, key)) === 200)).toBe(true);

    for (let index = 0; index < 15; index += 1) {
      const server = index % 2 === 0 ? serverA : serverB;
      const response = await chat(server, key);
      expect(response.status, `request ${index + 1}`).toBe(200);
      expect(response.headers.get('x-ratelimit-remaining')).toBe(String(14 - index));
    }
    for (const server of [serverB, serverA]) {
      const limited = await chat(server, key);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('x-ratelimit-limit')).toBe('15');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect((await readJson(limited)).error.code).toBe('SY_ERR_RATE_LIMITED');
    }

    await setEverywhere('rate_limit.chat.prod', 100);
    const afterRaise = await chat(serverB, key);
    expect(afterRaise.status).toBe(200);
    expect(afterRaise.headers.get('x-ratelimit-limit')).toBe('100');
    expect((await chat(serverA, key)).status).toBe(200);
  });

  it("writes a dev key's usage rows only to the dev database and a prod key's only to prod", async () => {
    const dev = await createKeyThroughApi(serverA, 'dev', 'usage dev');
    const prod = await createKeyThroughApi(serverA, 'prod', 'usage prod');
    for (const key of [dev.key, prod.key]) {
      expect(await eventually(async () => (await chat(serverB, key)).status === 200)).toBe(true);
    }
    expect((await chat(serverA, dev.key)).status).toBe(200);
    expect((await chat(serverA, prod.key)).status).toBe(200);

    const repositories = {
      prod: createUsageRepository(serverA.parts.databases.prod.db),
      dev: createUsageRepository(serverB.parts.databases.dev.db),
    };
    const rowsOf = async (environment: 'prod' | 'dev', apiKeyId: string) => {
      await Promise.all([serverA.parts.usage.flush(), serverB.parts.usage.flush()]);
      return repositories[environment].list({ apiKeyId });
    };
    // A row is queued when the response has finished, which may be just after the client read it.
    expect(await eventually(async () => (await rowsOf('dev', dev.id)).length === 2)).toBe(true);
    expect(await eventually(async () => (await rowsOf('prod', prod.id)).length === 2)).toBe(true);
    expect(await rowsOf('prod', dev.id)).toEqual([]);
    expect(await rowsOf('dev', prod.id)).toEqual([]);
    expect((await rowsOf('dev', dev.id)).every((row) => row.environment === 'dev')).toBe(true);
    expect((await rowsOf('prod', prod.id)).every((row) => row.environment === 'prod')).toBe(true);
  });

  describe('the CLI in server mode', () => {
    let workDir: string;
    let variables: Record<string, string>;

    beforeAll(async () => {
      workDir = await mkdtemp(join(tmpdir(), 'switchyard-cli-server-'));
      const configPath = join(workDir, 'switchyard.config.yaml');
      await writeFile(configPath, stringify({ ollama: { autodetect: false } }));
      variables = {
        ...serverVariables,
        SWITCHYARD_CONFIG: configPath,
        // Server mode keeps nothing here; the CLI must not need it to exist.
        SWITCHYARD_DATA_DIR: join(workDir, 'data'),
      };
    });

    afterAll(async () => {
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('keys create writes to PostgreSQL and the running servers accept the key within 2 s', async () => {
      const result = await runCli(['keys', 'create', '--env', 'prod', '--name', 'from the cli'], {
        cwd: workDir,
        variables,
      });
      expect(result.code, result.stderr).toBe(0);
      const key = result.stdout.trim();
      expect(result.stdout).toBe(`${key}\n`);
      expect(key).toMatch(/^prod_[A-Za-z0-9_-]{43}$/);
      expect(await eventually(async () => (await status(serverA, key)) === 200)).toBe(true);
      expect(await eventually(async () => (await status(serverB, key)) === 200)).toBe(true);
      const answer = await chat(serverA, key);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-environment')).toBe('prod');
    }, 60_000);

    it('migrate exits 0', async () => {
      const result = await runCli(['migrate'], { cwd: workDir, variables });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('Migrations applied');
      expect(result.stderr).toContain('PostgreSQL');
    }, 60_000);
  });
});
