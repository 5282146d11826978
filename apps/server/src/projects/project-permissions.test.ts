import { closedPortUrl } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InjectClient, type InjectResult, keyClient, signUpInjected } from '../testing/inject-client';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * The permission matrix of projects: every role (and a non-member) against every kind of shared thing and
 * every action, through the real routes (in process), counted against the rules written out below rather
 * than against the code that enforces them.
 */

type Actor = 'owner' | 'admin' | 'author' | 'otherMember' | 'viewer' | 'outsider';
type Action = 'read' | 'list' | 'create' | 'edit' | 'delete';
type Outcome = 'allow' | 'forbidden' | 'hidden';

const actors: Actor[] = ['owner', 'admin', 'author', 'otherMember', 'viewer', 'outsider'];

/** The rules, by hand: rows made by `author` (a member). Hidden = 404, as for any foreign id. */
const expected: Record<Action, Record<Actor, Outcome>> = {
  read: { owner: 'allow', admin: 'allow', author: 'allow', otherMember: 'allow', viewer: 'allow', outsider: 'hidden' },
  list: { owner: 'allow', admin: 'allow', author: 'allow', otherMember: 'allow', viewer: 'allow', outsider: 'hidden' },
  create: {
    owner: 'allow',
    admin: 'allow',
    author: 'allow',
    otherMember: 'allow',
    viewer: 'forbidden',
    outsider: 'hidden',
  },
  edit: {
    owner: 'allow',
    admin: 'allow',
    author: 'allow',
    otherMember: 'forbidden',
    viewer: 'forbidden',
    outsider: 'hidden',
  },
  delete: {
    owner: 'allow',
    admin: 'allow',
    author: 'allow',
    otherMember: 'forbidden',
    viewer: 'forbidden',
    outsider: 'hidden',
  },
};

/**
 * Apps are the exception the rules state (project-roles.ts): an app runs outside Switchyard with the project's
 * credentials, so only admins and the owner add, change and remove one; every member sees (and uses) it.
 */
const adminsOnly: Record<Actor, Outcome> = {
  owner: 'allow',
  admin: 'allow',
  author: 'forbidden',
  otherMember: 'forbidden',
  viewer: 'forbidden',
  outsider: 'hidden',
};
const expectedForApps: Record<Action, Record<Actor, Outcome>> = {
  ...expected,
  create: adminsOnly,
  edit: adminsOnly,
  delete: adminsOnly,
};

interface Resource {
  name: string;
  /** Who makes the rows acted on (default the member `author`); the rules (default `expected`). */
  maker?: Actor;
  rules?: Record<Action, Record<Actor, Outcome>>;
  create(client: InjectClient, projectId: string): Promise<InjectResult>;
  idOf(body: InjectResult['body']): string;
  read?(client: InjectClient, id: string): Promise<InjectResult>;
  list(client: InjectClient, projectId: string): Promise<{ result: InjectResult; ids: string[] }>;
  edit?(client: InjectClient, id: string): Promise<InjectResult>;
  remove(client: InjectClient, id: string): Promise<InjectResult>;
}

const resources: Resource[] = [
  {
    name: 'chat',
    create: (client, projectId) => client.request('POST', '/api/chats', { title: 'Plan', projectId }),
    idOf: (body) => body.id,
    read: (client, id) => client.get(`/api/chats/${id}`),
    async list(client, projectId) {
      const result = await client.get(`/api/chats?project=${projectId}`);
      return { result, ids: (result.body?.chats ?? []).map((chat: { id: string }) => chat.id) };
    },
    edit: (client, id) => client.request('PATCH', `/api/chats/${id}`, { title: 'Renamed' }),
    remove: (client, id) => client.request('DELETE', `/api/chats/${id}`),
  },
  {
    name: 'template',
    create: (client, projectId) =>
      client.request('POST', '/api/templates', { name: 'Brief', body: 'Hi {{name}}', projectId }),
    idOf: (body) => body.id,
    read: (client, id) => client.get(`/api/templates/${id}`),
    async list(client, projectId) {
      const result = await client.get(`/api/templates?project=${projectId}`);
      return { result, ids: (result.body?.templates ?? []).map((row: { id: string }) => row.id) };
    },
    edit: (client, id) => client.request('PATCH', `/api/templates/${id}`, { name: 'Renamed' }),
    remove: (client, id) => client.request('DELETE', `/api/templates/${id}`),
  },
  {
    name: 'file',
    create: (client, projectId) =>
      client.upload(`/api/files?project=${projectId}`, 'notes.txt', Buffer.from('project notes\n')),
    idOf: (body) => body.id,
    read: (client, id) => client.get(`/api/files/${id}`),
    async list(client, projectId) {
      const result = await client.get(`/api/files?project=${projectId}`);
      return { result, ids: (result.body?.files ?? []).map((row: { id: string }) => row.id) };
    },
    remove: (client, id) => client.request('DELETE', `/api/files/${id}`),
  },
  {
    name: 'saved search',
    create: (client, projectId) =>
      client.request('POST', '/api/searches', { query: 'switchyard releases', project_id: projectId }),
    idOf: (body) => body.id,
    read: (client, id) => client.get(`/api/searches/${id}`),
    async list(client, projectId) {
      const result = await client.get(`/api/searches?project=${projectId}`);
      return { result, ids: (result.body?.searches ?? []).map((row: { id: string }) => row.id) };
    },
    edit: (client, id) => client.request('PATCH', `/api/searches/${id}`, { name: 'Renamed' }),
    remove: (client, id) => client.request('DELETE', `/api/searches/${id}`),
  },
  {
    name: 'API key',
    create: (client, projectId) =>
      client.request('POST', '/api/keys', { name: 'project key', environment: 'prod', project: projectId }),
    idOf: (body) => body.record.id,
    async list(client, projectId) {
      const result = await client.get(`/api/keys?project=${projectId}`);
      return { result, ids: (result.body?.keys ?? []).map((row: { id: string }) => row.id) };
    },
    remove: (client, id) => client.request('DELETE', `/api/keys/${id}`),
  },
  {
    name: 'app',
    maker: 'admin',
    rules: expectedForApps,
    create: (client, projectId) => {
      appCount += 1;
      // Never reached: a loopback URL, which a project's app may not connect to anyway.
      return client.request('POST', '/api/apps', {
        projectId,
        id: `matrix-app-${appCount}`,
        type: 'mcp',
        url: 'http://127.0.0.1:9/mcp',
      });
    },
    idOf: (body) => body.id,
    read: (client, id) => client.get(`/api/apps/${id}`),
    async list(client, projectId) {
      const result = await client.get(`/api/apps?project=${projectId}`);
      return { result, ids: (result.body?.apps ?? []).map((row: { id: string }) => row.id) };
    },
    edit: (client, id) => client.request('PATCH', `/api/apps/${id}`, { name: 'Renamed' }),
    remove: (client, id) => client.request('DELETE', `/api/apps/${id}`),
  },
];
let appCount = 0;

let server: TestServer;
const clients = {} as Record<Actor, InjectClient>;
let projectId: string;

function outcomeOf(result: InjectResult): Outcome | 'other' {
  if (result.status >= 200 && result.status < 300) return 'allow';
  if (result.status === 403 && result.body?.error?.code === 'SY_ERR_FORBIDDEN') return 'forbidden';
  if (result.status === 404) return 'hidden';
  return 'other';
}

beforeAll(async () => {
  server = await startTestServer({
    config: { ollama: { autodetect: false }, webSearch: { type: 'searxng', baseURL: await closedPortUrl() } },
  });
  for (const actor of actors) clients[actor] = await signUpInjected(server.app, server.url, actor);
  const created = await clients.owner.request('POST', '/v1/projects', { name: 'Matrix' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  projectId = created.body.id;
  const roles: Array<[Actor, string]> = [
    ['admin', 'admin'],
    ['author', 'member'],
    ['otherMember', 'member'],
    ['viewer', 'viewer'],
  ];
  for (const [actor, role] of roles) {
    const added = await clients.owner.request('POST', `/v1/projects/${projectId}/members`, {
      email: clients[actor].email,
      role,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
  }
}, 150_000);

afterAll(async () => {
  await server?.destroy();
});

describe('project permissions matrix', () => {
  it('role × resource × action: no unexpected allow, no unexpected denial', async () => {
    const mismatches: string[] = [];
    let unexpectedAllows = 0;
    let unexpectedDenials = 0;
    let checked = 0;
    const checkedPerResource = new Map<string, number>();
    const record = (resource: Resource, actor: Actor, action: Action, result: InjectResult) => {
      checked += 1;
      checkedPerResource.set(resource.name, (checkedPerResource.get(resource.name) ?? 0) + 1);
      const wanted = (resource.rules ?? expected)[action][actor];
      const got = outcomeOf(result);
      if (got === wanted) return;
      if (got === 'allow') unexpectedAllows += 1;
      else unexpectedDenials += 1;
      mismatches.push(
        `${resource.name} ${action} by ${actor}: wanted ${wanted}, got ${result.status} ${JSON.stringify(result.body)}`,
      );
    };
    const made = async (resource: Resource) => {
      const created = await resource.create(clients[resource.maker ?? 'author'], projectId);
      expect(created.status, `${resource.name}: ${JSON.stringify(created.body)}`).toBe(201);
      return resource.idOf(created.body);
    };

    for (const resource of resources) {
      const id = await made(resource);
      for (const actor of actors) {
        const client = clients[actor];
        if (resource.read) record(resource, actor, 'read', await resource.read(client, id));
        const listed = await resource.list(client, projectId);
        // A list that answers but leaves the row out would be a denial too.
        const listResult =
          listed.result.status === 200 && !listed.ids.includes(id) ? { ...listed.result, status: 404 } : listed.result;
        record(resource, actor, 'list', listResult);
        record(resource, actor, 'create', await resource.create(client, projectId));
        if (resource.edit) record(resource, actor, 'edit', await resource.edit(client, id));
        // Each delete gets a row of its own, so an allowed delete does not hide the next actor's answer.
        record(resource, actor, 'delete', await resource.remove(client, await made(resource)));
      }
    }
    expect(mismatches).toEqual([]);
    expect(unexpectedAllows).toBe(0);
    expect(unexpectedDenials).toBe(0);
    expect(checked).toBeGreaterThan(100);
    // Apps: read, list, create, edit and delete by each of the six actors.
    expect(checkedPerResource.get('app')).toBe(30);
    // About 150 requests in sequence (18 s alone, more beside other test files on a loaded 2-core machine).
  }, 90_000);

  it('personal rows stay personal: another user, even a project admin, gets 404', async () => {
    const chat = await clients.author.request('POST', '/api/chats', { title: 'Mine' });
    expect(chat.body.projectId).toBeNull();
    expect((await clients.owner.get(`/api/chats/${chat.body.id}`)).status).toBe(404);
    const ownList = await clients.author.get('/api/chats');
    expect(ownList.body.chats.map((row: { id: string }) => row.id)).toContain(chat.body.id);
    // The personal list holds no project chats.
    expect(ownList.body.chats.every((row: { projectId: string | null }) => row.projectId === null)).toBe(true);
  });

  it('the project itself: read by members, changed by admins, deleted and transferred by the owner only', async () => {
    const expectations: Array<[Actor, string, string, unknown, Outcome]> = [];
    for (const actor of actors) {
      const member = actor !== 'outsider';
      const admin = actor === 'owner' || actor === 'admin';
      expectations.push([actor, 'GET', `/v1/projects/${projectId}`, undefined, member ? 'allow' : 'hidden']);
      expectations.push([actor, 'GET', `/v1/projects/${projectId}/members`, undefined, member ? 'allow' : 'hidden']);
      expectations.push([
        actor,
        'PATCH',
        `/v1/projects/${projectId}`,
        { description: `by ${actor}` },
        admin ? 'allow' : member ? 'forbidden' : 'hidden',
      ]);
      expectations.push([
        actor,
        'GET',
        `/v1/projects/${projectId}/invitations`,
        undefined,
        admin ? 'allow' : member ? 'forbidden' : 'hidden',
      ]);
      if (actor !== 'owner') {
        expectations.push([actor, 'DELETE', `/v1/projects/${projectId}`, undefined, member ? 'forbidden' : 'hidden']);
        expectations.push([
          actor,
          'POST',
          `/v1/projects/${projectId}/transfer`,
          { userId: clients.viewer.userId },
          member ? 'forbidden' : 'hidden',
        ]);
      }
    }
    const failures: string[] = [];
    for (const [actor, method, url, body, wanted] of expectations) {
      const result = await clients[actor].request(method, url, body);
      if (outcomeOf(result) !== wanted) failures.push(`${method} ${url} by ${actor}: ${result.status}`);
    }
    expect(failures).toEqual([]);
    // An admin cannot demote or remove the owner.
    const demote = await clients.admin.request('PATCH', `/v1/projects/${projectId}/members/${clients.owner.userId}`, {
      role: 'viewer',
    });
    expect(demote.status).toBe(403);
  });

  it('a project key acts within its project, and stops working when its holder leaves', async () => {
    const created = await clients.otherMember.request('POST', '/api/keys', {
      name: 'leaving soon',
      environment: 'prod',
      project: projectId,
    });
    expect(created.status).toBe(201);
    expect(created.body.record.projectId).toBe(projectId);
    const call = keyClient(server.app, created.body.key);
    const status = await call('GET', '/v1/status');
    expect(status.status).toBe(200);
    // A viewer makes no keys in the project.
    const refused = await clients.viewer.request('POST', '/api/keys', {
      name: 'x',
      environment: 'prod',
      project: projectId,
    });
    expect(refused.status).toBe(403);

    const left = await clients.otherMember.request(
      'DELETE',
      `/v1/projects/${projectId}/members/${clients.otherMember.userId}`,
    );
    expect(left.status).toBe(204);
    const after = await call('GET', '/v1/status');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('SY_ERR_API_KEY_REVOKED');
    expect((await clients.otherMember.get(`/api/chats?project=${projectId}`)).status).toBe(404);
  });

  it('ownership moves by a transfer; deleting the project removes what was shared in it', async () => {
    const chat = await clients.author.request('POST', '/api/chats', { title: 'Doomed', projectId });
    const projectApp = await clients.owner.request('POST', '/api/apps', {
      projectId,
      id: 'doomed-app',
      type: 'mcp',
      url: 'http://127.0.0.1:9/mcp',
    });
    expect(projectApp.status, JSON.stringify(projectApp.body)).toBe(201);
    expect(server.parts.apps.entry('doomed-app')?.projectId).toBe(projectId);
    const transferred = await clients.owner.request('POST', `/v1/projects/${projectId}/transfer`, {
      userId: clients.admin.userId,
    });
    expect(transferred.status).toBe(200);
    const roles = Object.fromEntries(
      transferred.body.members.map((member: { userId: string; role: string }) => [member.userId, member.role]),
    );
    expect(roles[clients.admin.userId]).toBe('owner');
    expect(roles[clients.owner.userId]).toBe('admin');
    expect((await clients.owner.request('DELETE', `/v1/projects/${projectId}`)).status).toBe(403);
    expect((await clients.admin.request('DELETE', `/v1/projects/${projectId}`)).status).toBe(204);
    expect((await clients.author.get(`/api/chats/${chat.body.id}`)).status).toBe(404);
    expect((await clients.owner.get('/api/apps/doomed-app')).status).toBe(404);
    expect(server.parts.apps.entry('doomed-app')).toBeUndefined();
    expect((await clients.author.get('/v1/projects')).body.projects).toEqual([]);
  });
});
