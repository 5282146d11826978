import { startTestMcpHttpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InjectClient, keyClient, signUpInjected } from '../testing/inject-client';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * A project's own apps: offered in the project's chats and to its keys only, never to anyone else; their
 * URLs reach public addresses only (here the test's loopback network is allowed, ::1 is not).
 */
let server: TestServer;
let mcp: Awaited<ReturnType<typeof startTestMcpHttpServer>>;
let owner: InjectClient;
let member: InjectClient;
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
  projectId = (await owner.request('POST', '/v1/projects', { name: 'Apps' })).body.id;
  await owner.request('POST', `/v1/projects/${projectId}/members`, { email: member.email, role: 'member' });
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
