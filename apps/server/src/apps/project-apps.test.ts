import { SwitchyardError } from '@switchyard/core';
import { type AppRecord, causesOf } from '@switchyard/db';
import { startTestMcpHttpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeError } from '../edge/error-handler';
import { type InjectClient, keyClient, signUpInjected } from '../testing/inject-client';
import { startTestServer, type TestServer } from '../testing/test-server';
import type { AppAdmin } from './app-admin';
import { createProjectApps } from './project-apps';

/**
 * A project's own apps: offered in the project's chats and to its keys only, never to anyone else; their
 * URLs reach public addresses only (here the test's loopback network is allowed, ::1 is not).
 */
let server: TestServer;
let mcp: Awaited<ReturnType<typeof startTestMcpHttpServer>>;
let owner: InjectClient;
let member: InjectClient;
let projectAdmin: InjectClient;
let outsider: InjectClient;
let projectId: string;

const keyOf = async (client: InjectClient, project?: string) => {
  const created = await client.request('POST', '/api/keys', {
    name: 'apps',
    environment: 'prod',
    ...(project ? { project } : {}),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return keyClient(server.app, created.body.key);
};
const listedIds = (body: { apps?: Array<{ id: string }> }) => (body.apps ?? []).map((app) => app.id);

beforeAll(async () => {
  mcp = await startTestMcpHttpServer();
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      models: [{ id: 'fast', provider: 'echo' }],
      projectApps: { allowedNetworks: ['127.0.0.0/8'] },
    },
  });
  owner = await signUpInjected(server.app, server.url, 'app-owner');
  member = await signUpInjected(server.app, server.url, 'app-member');
  outsider = await signUpInjected(server.app, server.url, 'app-outsider');
  projectAdmin = await signUpInjected(server.app, server.url, 'app-project-admin');
  projectId = (await owner.request('POST', '/v1/projects', { name: 'Apps' })).body.id;
  await owner.request('POST', `/v1/projects/${projectId}/members`, { email: member.email, role: 'member' });
  await owner.request('POST', `/v1/projects/${projectId}/members`, { email: projectAdmin.email, role: 'admin' });
  const created = await owner.request('POST', '/api/apps', {
    projectId,
    id: 'team-notes',
    type: 'mcp',
    url: mcp.url,
    headers: { authorization: 'Bearer team-secret' },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body).toMatchObject({ id: 'team-notes', projectId, createdBy: owner.userId });
  expect(created.body.header_names).toEqual(['authorization']);
  expect(JSON.stringify(created.body)).not.toContain('team-secret');
}, 150_000);

afterAll(async () => {
  await server?.destroy();
  await mcp?.close();
});

describe("a project's apps", () => {
  it("are callable by the project's keys only", async () => {
    const projectKey = await keyOf(member, projectId);
    const listed = await projectKey('GET', '/v1/apps');
    expect(listedIds(listed.body)).toContain('team-notes');
    const called = await projectKey('POST', '/v1/apps/team-notes/skills/echo', { input: { text: 'hi team' } });
    expect(called.status, JSON.stringify(called.body)).toBe(200);
    expect(called.body.output).toContain('hi team');

    // The same member's personal key, and another user's key in their own project, do not see it.
    const personal = await keyOf(member);
    const otherProject = (await outsider.request('POST', '/v1/projects', { name: 'Elsewhere' })).body.id;
    const elsewhere = await keyOf(outsider, otherProject);
    for (const key of [personal, elsewhere]) {
      expect(listedIds((await key('GET', '/v1/apps')).body)).not.toContain('team-notes');
      const refused = await key('POST', '/v1/apps/team-notes/skills/echo', { input: { text: 'x' } });
      expect(refused.status).toBe(404);
      expect(refused.body.error.code).toBe('SY_ERR_APP_NOT_FOUND');
    }
  });

  it("are offered in the project's chats only", async () => {
    expect(listedIds((await member.get('/api/apps')).body)).not.toContain('team-notes');
    const inProject = await member.get(`/api/apps?project=${projectId}`);
    const app = inProject.body.apps.find((each: { id: string }) => each.id === 'team-notes');
    expect(app).toMatchObject({ project_id: projectId, status: 'ok' });
    expect((await outsider.get(`/api/apps?project=${projectId}`)).status).toBe(404);

    const personalChat = await member.request('POST', '/api/chat/start', { message: 'hi', apps: ['team-notes'] });
    expect(personalChat.status).toBe(404);
    const projectChat = await member.request('POST', '/api/chat/start', {
      message: 'hi',
      apps: ['team-notes'],
      projectId,
    });
    expect(projectChat.status, JSON.stringify(projectChat.body)).toBe(201);
    // Naming the project does not open it to someone outside it.
    const outsiderChat = await outsider.request('POST', '/api/chat/start', {
      message: 'hi',
      apps: ['team-notes'],
      projectId,
    });
    expect(outsiderChat.status).toBe(404);
  });

  it('reach public addresses only: a loopback address outside the allowed networks is refused', async () => {
    const created = await owner.request('POST', '/api/apps', {
      projectId,
      id: 'loopback-six',
      type: 'mcp',
      url: mcp.url.replace('127.0.0.1', '[::1]'),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const projectKey = await keyOf(owner, projectId);
    const called = await projectKey('POST', '/v1/apps/loopback-six/skills/echo', { input: { text: 'x' } });
    expect(called.status).toBe(503);
    expect(called.body.error.message).toContain('loopback');
    expect((await owner.request('DELETE', '/api/apps/loopback-six')).status).toBe(204);
    expect(server.parts.apps.entry('loopback-six')).toBeUndefined();
  });
});

describe("changing a project's app (PATCH /api/apps/:id)", () => {
  const appId = 'editable';
  const call = async (text: string) => {
    const projectKey = await keyOf(projectAdmin, projectId);
    return projectKey('POST', `/v1/apps/${appId}/skills/echo`, { input: { text } });
  };

  beforeAll(async () => {
    const created = await projectAdmin.request('POST', '/api/apps', {
      projectId,
      id: appId,
      type: 'mcp',
      url: mcp.url,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });

  it('by a project admin (not a site admin): every field POST takes, applied at once, secrets never shown', async () => {
    const changed = await projectAdmin.request('PATCH', `/api/apps/${appId}`, {
      name: 'Team tools',
      description: 'Echoes',
      headers: { authorization: 'Bearer edited-secret' },
      timeout_ms: 20_000,
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({
      id: appId,
      name: 'Team tools',
      description: 'Echoes',
      projectId,
      enabled: true,
      header_names: ['authorization'],
    });
    expect(JSON.stringify(changed.body)).not.toContain('edited-secret');
    expect((await member.get(`/api/apps/${appId}`)).body.name).toBe('Team tools');

    // A URL change reaches the registry: a closed port fails the call, the right URL works again.
    const closed = await projectAdmin.request('PATCH', `/api/apps/${appId}`, {
      url: mcp.url.replace(/:\d+\//, ':9/'),
    });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect((await call('down')).status).toBe(503);
    expect((await projectAdmin.request('PATCH', `/api/apps/${appId}`, { url: mcp.url })).status).toBe(200);
    const called = await call('back');
    expect(called.status, JSON.stringify(called.body)).toBe(200);
    expect(called.body.output).toContain('back');
  });

  it('switched off: offered nowhere, still listed for its project; switched on again', async () => {
    const off = await owner.request('PATCH', `/api/apps/${appId}`, { enabled: false });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.enabled).toBe(false);
    expect(listedIds((await member.get(`/api/apps?project=${projectId}`)).body)).not.toContain(appId);
    expect((await call('off')).status).toBe(404);
    const listed = await member.get(`/api/projects/${projectId}/apps`);
    expect(listed.status).toBe(200);
    expect(listed.body.apps.find((app: { id: string }) => app.id === appId)).toMatchObject({ enabled: false });
    expect((await outsider.get(`/api/projects/${projectId}/apps`)).status).toBe(404);

    expect((await owner.request('PATCH', `/api/apps/${appId}`, { enabled: true })).status).toBe(200);
    expect((await call('on')).status).toBe(200);
  });

  it('a member gets 403, someone outside the project 404, and nothing changes', async () => {
    const refused = await member.request('PATCH', `/api/apps/${appId}`, { name: 'Mine now' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SY_ERR_FORBIDDEN');
    const hidden = await outsider.request('PATCH', `/api/apps/${appId}`, { name: 'Mine now' });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('SY_ERR_APP_NOT_FOUND');
    // A global (config or built-in) app is not a project's app.
    expect((await owner.request('PATCH', '/api/apps/web', { enabled: false })).status).toBe(404);
    expect((await member.get(`/api/apps/${appId}`)).body.name).not.toBe('Mine now');
  });

  it('bad input is 400 with the rules POST has', async () => {
    const bad: Array<Record<string, unknown>> = [
      { url: 'not a url' },
      { url: 'ftp://example.com/mcp' },
      { url: 'https://user:pass@example.com/mcp' },
      { base_url: 'https://example.com' },
      { secret: 'for http apps only' },
      { type: 'http' },
      { projectId: 'elsewhere' },
      { name: '' },
    ];
    for (const body of bad) {
      const refused = await projectAdmin.request('PATCH', `/api/apps/${appId}`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error.code, JSON.stringify(body)).toBe('SY_ERR_VALIDATION');
    }
    expect((await call('still here')).status).toBe(200);
  });

  it('a URL changed to a private address outside the allowed networks is refused when connecting', async () => {
    const changed = await projectAdmin.request('PATCH', `/api/apps/${appId}`, {
      url: mcp.url.replace('127.0.0.1', '[::1]'),
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const refused = await call('x');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('SY_ERR_APP_UNAVAILABLE');
    // Refused by the public-only connector (not merely nothing listening there): its reason is on the cause chain.
    const failure = await server.parts.apps
      .entry(appId)
      ?.runtime.skills()
      .catch((error: unknown) => error);
    const reasons = [...causesOf(failure, 10)].map((error) => error.message).join(' | ');
    expect(reasons).toContain('loopback');
    expect((await projectAdmin.request('PATCH', `/api/apps/${appId}`, { url: mcp.url })).status).toBe(200);
    expect((await call('fixed')).status).toBe(200);
  });
});

describe('a database fault while checking membership', () => {
  const row = {
    id: 'team-app',
    source: 'admin',
    type: 'mcp',
    definition: { url: 'https://tools.example.com/mcp' },
    enabled: true,
    environments: null,
    roles: null,
    projectId: 'proj_1',
    createdBy: 'user_1',
    createdAt: new Date(),
    updatedAt: new Date(),
  } as unknown as AppRecord;
  const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const changes: string[] = [];
  const appAdmin = {
    create: async () => {
      changes.push('create');
      return undefined as never;
    },
    update: async () => {
      changes.push('update');
      return undefined as never;
    },
    delete: async () => {
      changes.push('delete');
    },
  } satisfies Pick<AppAdmin, 'create' | 'update' | 'delete'>;
  const apps = createProjectApps(appAdmin, { find: async () => row, listForProject: async () => [row] });
  const actor = { userId: 'user_1', projects: { roleOf: () => Promise.reject(unreachable) } };

  it('is 503 (the database is unavailable), not 404 as if the app did not exist', async () => {
    for (const attempt of [
      () => apps.get(actor, 'team-app'),
      () => apps.update(actor, 'team-app', { name: 'x' }),
      () => apps.delete(actor, 'team-app'),
      () => apps.list(actor, 'proj_1'),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBe(unreachable);
      const answered = normalizeError(error);
      expect(answered.status).toBe(503);
      expect(answered.code).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
    }
    expect(changes).toEqual([]);
  });

  it('while not being a member is 404 for the app', async () => {
    const stranger = { userId: 'user_2', projects: { roleOf: async () => undefined } };
    const error = await apps.get(stranger, 'team-app').catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect((error as SwitchyardError).code).toBe('SY_ERR_APP_NOT_FOUND');
  });
});
