import {
  closedPortUrl,
  createServerModeEnvironment,
  eventually,
  type RunningMcpHttpServer,
  type ServerModeEnvironment,
  serverModeAvailable,
  startTestMcpHttpServer,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { keyRequest } from '../testing/key-request';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const headerSecret = 'header-secret-value-0123456789';

async function request(server: TestServer, key: string, method: string, path: string, body?: unknown) {
  const response = await keyRequest(server.url, key, method, path, body);
  const text = await response.text();
  return { status: response.status, text, body: (text ? JSON.parse(text) : null) as Json };
}

const callEcho = (server: TestServer, key: string, app: string) =>
  request(server, key, 'POST', `/v1/apps/${app}/skills/echo`, { input: { text: 'hi' } });

describe('run-time app administration (embedded: PGlite, one process)', () => {
  let server: TestServer;
  let mcp: RunningMcpHttpServer;
  let prodAdmin: string;
  let devAdmin: string;
  let prodKey: string;
  let devKey: string;
  let down: string;

  beforeAll(async () => {
    mcp = await startTestMcpHttpServer();
    down = await closedPortUrl('/mcp');
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        apps: [
          { id: 'notes', type: 'mcp', url: mcp.url },
          { id: 'prodonly', type: 'mcp', url: mcp.url, environments: ['prod'] },
        ],
      },
    });
    prodAdmin = await server.createKey('prod', { admin: true });
    devAdmin = await server.createKey('dev', { admin: true });
    prodKey = await server.createKey('prod');
    devKey = await server.createKey('dev');
  });
  afterAll(async () => {
    await server?.destroy();
    await mcp?.close();
  });

  it('creates an MCP app that is usable at once, and never shows its header values', async () => {
    const created = await request(server, prodAdmin, 'POST', '/v1/admin/apps', {
      id: 'echoer',
      type: 'mcp',
      name: 'Echoer',
      url: `${mcp.url}?token=query-secret-value`,
      headers: { authorization: `Bearer ${headerSecret}` },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      id: 'echoer',
      name: 'Echoer',
      kind: 'mcp',
      source: 'admin',
      enabled: true,
      roles: null,
      environments: ['prod', 'dev'],
      status: 'ok',
      header_names: ['authorization'],
    });
    expect(created.body.skills).toContain('echo');
    expect(created.text).not.toContain(headerSecret);
    expect(created.text).not.toContain('query-secret-value');

    const echoed = await callEcho(server, prodKey, 'echoer');
    expect(echoed.status, echoed.text).toBe(200);
    expect(echoed.body.output).toContain('hi');
    expect((await callEcho(server, devKey, 'echoer')).status).toBe(200);

    const list = await request(server, prodAdmin, 'GET', '/v1/admin/apps');
    expect(list.text).not.toContain(headerSecret);
    const byId = Object.fromEntries((list.body.apps as Json[]).map((app) => [app.id, app]));
    expect(byId.echoer).toMatchObject({ source: 'admin', enabled: true });
    expect(byId.notes).toMatchObject({ source: 'config', enabled: true, roles: null });
    expect(JSON.stringify(server.logs)).not.toContain(headerSecret);
  });

  it("stores an http app's secret without ever showing it; PATCH secret null removes it", async () => {
    const secret = 'http-signing-secret-0123456789abcdef';
    const created = await request(server, prodAdmin, 'POST', '/v1/admin/apps', {
      id: 'remote',
      type: 'http',
      base_url: down.replace('/mcp', ''),
      secret,
      environments: ['prod'],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id: 'remote', kind: 'http', source: 'admin', has_secret: true });
    expect(created.body.status).toBe('unavailable');
    expect(created.text).not.toContain(secret);
    const list = await request(server, prodAdmin, 'GET', '/v1/admin/apps');
    expect(list.text).not.toContain(secret);
    const health = await request(server, prodAdmin, 'GET', '/v1/admin/apps/remote/health');
    expect(health.text).not.toContain(secret);
    expect(JSON.stringify(server.logs)).not.toContain(secret);
    const cleared = await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/remote', { secret: null });
    expect(cleared.body.has_secret).toBe(false);
    expect((await request(server, prodAdmin, 'DELETE', '/v1/admin/apps/remote')).status).toBe(204);
  });

  it('refuses bad apps with stable codes: command (remote code execution), id, built-in id, URL, duplicates', async () => {
    const create = (body: Json) => request(server, prodAdmin, 'POST', '/v1/admin/apps', body);
    const command = await create({ id: 'shell', type: 'mcp', command: ['sh', '-c', 'id'] });
    expect(command.status).toBe(400);
    expect(command.body.error.code).toBe('SY_ERR_VALIDATION');
    expect(command.body.error.message).toContain('remote code execution');
    for (const body of [
      { id: 'Bad Id', type: 'mcp', url: mcp.url },
      { id: 'web', type: 'mcp', url: mcp.url },
      { id: 'ftp', type: 'mcp', url: 'ftp://127.0.0.1/mcp' },
      { id: 'creds', type: 'mcp', url: 'http://user:pass@127.0.0.1/mcp' },
      { id: 'nourl', type: 'mcp' },
      { id: 'mixed', type: 'mcp', url: mcp.url, secret: 'an-http-apps-secret' },
      { id: 'nobase', type: 'http' },
    ]) {
      const refused = await create(body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error.code).toBe('SY_ERR_VALIDATION');
    }
    for (const id of ['echoer', 'notes']) {
      const duplicate = await create({ id, type: 'mcp', url: mcp.url });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.error.code).toBe('SY_ERR_CONFLICT');
    }
  });

  it('disables an app: 404 for users everywhere (call, list, chat); still testable by the admin; enabled again', async () => {
    const disabled = await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/echoer', { enabled: false });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.body.enabled).toBe(false);
    const call = await callEcho(server, prodKey, 'echoer');
    expect(call.status).toBe(404);
    expect(call.body.error.code).toBe('SY_ERR_APP_NOT_FOUND');
    const listed = await request(server, prodKey, 'GET', '/v1/apps');
    expect((listed.body.apps as Json[]).map((app) => app.id)).not.toContain('echoer');
    const chat = await request(server, prodKey, 'POST', '/v1/chat', { message: 'hi', apps: ['echoer'] });
    expect(chat.status).toBe(404);
    expect(chat.body.error.code).toBe('SY_ERR_APP_NOT_FOUND');

    const tested = await request(server, prodAdmin, 'POST', '/v1/admin/apps/echoer/skills/echo/test', {
      input: { text: 'test' },
    });
    expect(tested.status, tested.text).toBe(200);
    expect(tested.body).toMatchObject({ app: 'echoer', skill: 'echo', is_error: false });

    expect((await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/echoer', { enabled: true })).status).toBe(200);
    expect((await callEcho(server, prodKey, 'echoer')).status).toBe(200);
  });

  it('restricts an app to roles: a user key gets 404, an admin key may use it', async () => {
    const restricted = await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/echoer', { roles: ['admin'] });
    expect(restricted.body.roles).toEqual(['admin']);
    expect((await callEcho(server, prodKey, 'echoer')).status).toBe(404);
    const listed = await request(server, prodKey, 'GET', '/v1/apps');
    expect((listed.body.apps as Json[]).map((app) => app.id)).not.toContain('echoer');
    const focus = await request(server, prodKey, 'POST', '/v1/chat', { message: 'hi', apps: ['echoer'] });
    expect(focus.status).toBe(404);
    expect((await callEcho(server, prodAdmin, 'echoer')).status).toBe(200);

    // A signed-in user: the role read on each request decides.
    const password = 'a-long-enough-password';
    const user = await server.parts.accounts.createUser({
      email: 'member@example.test',
      name: 'M',
      password,
      role: 'user',
    });
    const browser = createBrowser(server.url);
    expect((await browser.post('/api/auth/sign-in/email', { email: 'member@example.test', password })).status).toBe(
      200,
    );
    // /v1/chat takes a session: an app closed to the role is unknown; for an admin the request gets past the apps.
    const chatCode = async () =>
      (await readJson(await browser.post('/v1/chat', { message: 'hi', apps: ['echoer'] }))).error?.code;
    expect(await chatCode()).toBe('SY_ERR_APP_NOT_FOUND');
    await server.parts.accounts.setRole(user.id, 'admin');
    expect(await chatCode()).not.toBe('SY_ERR_APP_NOT_FOUND');

    const open = await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/echoer', { roles: null });
    expect(open.body.roles).toBeNull();
    expect((await callEcho(server, prodKey, 'echoer')).status).toBe(200);
  });

  it('changes a config app only in enabled, environments and roles, and never deletes it', async () => {
    const url = await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/notes', { url: down });
    expect(url.status).toBe(400);
    expect(url.body.error.message).toContain('only enabled, environments and roles');
    const removed = await request(server, prodAdmin, 'DELETE', '/v1/admin/apps/notes');
    expect(removed.status).toBe(409);
    expect(removed.body.error.code).toBe('SY_ERR_CONFLICT');

    const prodOnly = await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/notes', { environments: ['prod'] });
    expect(prodOnly.body).toMatchObject({ source: 'config', environments: ['prod'] });
    expect((await callEcho(server, devKey, 'notes')).status).toBe(404);
    expect((await callEcho(server, prodKey, 'notes')).status).toBe(200);
    await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/notes', { enabled: false });
    expect((await callEcho(server, prodKey, 'notes')).status).toBe(404);
    await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/notes', { enabled: true, environments: ['prod', 'dev'] });
    expect((await callEcho(server, devKey, 'notes')).status).toBe(200);
  });

  it('a dev admin sees and tests dev apps only and changes nothing (apps are global)', async () => {
    const created = await request(server, devAdmin, 'POST', '/v1/admin/apps', {
      id: 'devmade',
      type: 'mcp',
      url: mcp.url,
    });
    expect(created.status).toBe(403);
    expect(created.body.error.code).toBe('SY_ERR_ENVIRONMENT_FORBIDDEN');
    const patched = await request(server, devAdmin, 'PATCH', '/v1/admin/apps/notes', { enabled: false });
    expect(patched.status).toBe(403);
    const list = await request(server, devAdmin, 'GET', '/v1/admin/apps');
    expect((list.body.apps as Json[]).map((app) => app.id)).not.toContain('prodonly');
    for (const path of ['/v1/admin/apps/prodonly/health']) {
      expect((await request(server, devAdmin, 'GET', path)).status).toBe(404);
    }
    const prodTest = await request(server, devAdmin, 'POST', '/v1/admin/apps/prodonly/skills/echo/test', {
      input: { text: 'x' },
    });
    expect(prodTest.status).toBe(404);
    const devTest = await request(server, devAdmin, 'POST', '/v1/admin/apps/notes/skills/echo/test', {
      input: { text: 'x' },
    });
    expect(devTest.status).toBe(200);
  });

  it('keeps a run-time app to its environments: a dev key does not reach a prod-only app', async () => {
    const created = await request(server, prodAdmin, 'POST', '/v1/admin/apps', {
      id: 'prodmade',
      type: 'mcp',
      url: mcp.url,
      environments: ['prod'],
    });
    expect(created.status).toBe(201);
    expect((await callEcho(server, prodKey, 'prodmade')).status).toBe(200);
    expect((await callEcho(server, devKey, 'prodmade')).status).toBe(404);
  });

  it('checks health against a live app and a closed port; a test call to the closed port is a 503', async () => {
    const live = await request(server, prodAdmin, 'GET', '/v1/admin/apps/echoer/health');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ id: 'echoer', status: 'ok' });
    expect(live.body.skills).toBeGreaterThan(0);
    expect(live.body.latency_ms).toBeGreaterThanOrEqual(0);

    expect(
      (await request(server, prodAdmin, 'POST', '/v1/admin/apps', { id: 'gone', type: 'mcp', url: down })).status,
    ).toBe(201);
    const dead = await request(server, prodAdmin, 'GET', '/v1/admin/apps/gone/health');
    expect(dead.body).toMatchObject({ id: 'gone', status: 'unavailable', skills: 0 });
    expect(dead.body.error).toContain("App 'gone' is unavailable");
    const tested = await request(server, prodAdmin, 'POST', '/v1/admin/apps/gone/skills/echo/test', {
      input: { text: 'x' },
    });
    expect(tested.status).toBe(503);
    expect(tested.body.error.code).toBe('SY_ERR_APP_UNAVAILABLE');
  });

  it('moves an app to another URL (a new connection) and deletes it', async () => {
    const moved = await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/echoer', { url: down });
    expect(moved.status).toBe(200);
    expect(moved.body.status).toBe('unavailable');
    expect((await callEcho(server, prodKey, 'echoer')).status).toBe(503);
    const back = await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/echoer', { url: mcp.url });
    expect(back.body.status).toBe('ok');

    expect((await request(server, prodAdmin, 'DELETE', '/v1/admin/apps/echoer')).status).toBe(204);
    expect((await callEcho(server, prodKey, 'echoer')).status).toBe(404);
    expect((await request(server, prodAdmin, 'DELETE', '/v1/admin/apps/echoer')).status).toBe(404);
  });

  it('keeps admin apps and overrides across a restart (stored in the prod database)', async () => {
    await request(server, prodAdmin, 'PATCH', '/v1/admin/apps/notes', { roles: ['admin'] });
    await server.close();
    const again = await startTestServer({
      dataDir: server.dataDir,
      config: { ollama: { autodetect: false }, apps: [{ id: 'notes', type: 'mcp', url: mcp.url }] },
    });
    try {
      const list = await request(again, prodAdmin, 'GET', '/v1/admin/apps');
      const byId = Object.fromEntries((list.body.apps as Json[]).map((app) => [app.id, app]));
      expect(byId.prodmade).toMatchObject({ source: 'admin', environments: ['prod'] });
      expect(byId.notes).toMatchObject({ source: 'config', roles: ['admin'] });
      expect((await callEcho(again, prodKey, 'notes')).status).toBe(404);
      expect((await callEcho(again, prodKey, 'prodmade')).status).toBe(200);
    } finally {
      await again.close();
    }
  });
});

const available = await serverModeAvailable('apps administered across processes');

describe.skipIf(!available)('apps administered on one process (server mode: PostgreSQL, Redis)', () => {
  let environment: ServerModeEnvironment;
  let serverA: TestServer;
  let serverB: TestServer;
  let mcp: RunningMcpHttpServer;
  let admin: string;
  let user: string;

  beforeAll(async () => {
    mcp = await startTestMcpHttpServer();
    environment = await createServerModeEnvironment();
    // The test's MCP server listens on loopback, which a project's app reaches only where allowed.
    const config = { projectApps: { allowedNetworks: ['127.0.0.0/8'] } };
    serverA = await startTestServer({ variables: environment.variables, role: 'api', config });
    serverB = await startTestServer({ variables: environment.variables, role: 'api', config });
    admin = await serverA.createKey('prod', { admin: true });
    user = await serverA.createKey('prod');
  });
  afterAll(async () => {
    await serverA?.destroy();
    await serverB?.destroy();
    await environment?.drop();
    await mcp?.close();
  });

  it('reach every other process: create, disable, enable, delete', async () => {
    const created = await request(serverA, admin, 'POST', '/v1/admin/apps', {
      id: 'shared',
      type: 'mcp',
      url: mcp.url,
    });
    expect(created.status, created.text).toBe(201);
    await eventually(async () => expect((await callEcho(serverB, user, 'shared')).status).toBe(200));

    expect((await request(serverA, admin, 'PATCH', '/v1/admin/apps/shared', { enabled: false })).status).toBe(200);
    await eventually(async () => {
      const refused = await callEcho(serverB, user, 'shared');
      expect(refused.status).toBe(404);
      expect(refused.body.error.code).toBe('SY_ERR_APP_NOT_FOUND');
    });

    expect((await request(serverA, admin, 'PATCH', '/v1/admin/apps/shared', { enabled: true })).status).toBe(200);
    await eventually(async () => expect((await callEcho(serverB, user, 'shared')).status).toBe(200));

    expect((await request(serverA, admin, 'DELETE', '/v1/admin/apps/shared')).status).toBe(204);
    await eventually(async () => expect((await callEcho(serverB, user, 'shared')).status).toBe(404));
    const list = await request(serverB, admin, 'GET', '/v1/admin/apps');
    expect((list.body.apps as Json[]).map((app) => app.id)).not.toContain('shared');
  });

  it("a project's app changed by its admin on one process (PATCH /api/apps/:id) changes on the other", async () => {
    const { browser: owner } = await signUpUser(serverA.url, 'crossowner');
    const project = await readJson(await owner.post('/v1/projects', { name: 'Across' }));
    const created = await owner.post('/api/apps', {
      projectId: project.id,
      id: 'team-shared',
      type: 'mcp',
      url: mcp.url,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const key = (await readJson(await owner.post('/api/keys', { name: 'k', environment: 'prod', project: project.id })))
      .key as string;
    await eventually(async () => expect((await callEcho(serverB, key, 'team-shared')).status).toBe(200));

    const patch = (body: unknown) => owner.request('PATCH', '/api/apps/team-shared', { body });
    expect((await patch({ enabled: false })).status).toBe(200);
    await eventually(async () => expect((await callEcho(serverB, key, 'team-shared')).status).toBe(404));
    expect((await patch({ enabled: true, url: await closedPortUrl('/mcp') })).status).toBe(200);
    await eventually(async () => expect((await callEcho(serverB, key, 'team-shared')).status).toBe(503));
    expect((await patch({ url: mcp.url })).status).toBe(200);
    await eventually(async () => expect((await callEcho(serverB, key, 'team-shared')).status).toBe(200));
  });
});
