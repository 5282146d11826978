import { createEventsRepository, createJobsRepository, createWhatsAppRepository } from '@switchyard/db';
import { closedPortUrl } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../testing/browser';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * Environment isolation of administration: a dev admin key administers dev only and never reaches prod
 * data or anything global; a prod admin key (the control plane's) still administers everything. Every
 * admin operation of the OpenAPI document needs an entry in `checks`, so a new admin route without the
 * environment check fails here.
 */

let server: TestServer;
let prodAdmin: string;
let devAdmin: string;
let devUser: string;
let prodUser: string;
const ids = {
  prodKey: '',
  devKey: '',
  prodJob: '',
  devJob: '',
  prodDeadForReplay: '',
  prodDeadForDiscard: '',
  devDead: '',
  userId: '',
  prodSchedule: '',
  devSchedule: '',
  prodDeadEvent: 'dead-event-prod',
  devDeadEvent: 'dead-event-dev',
};

async function call(method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Json };
}

const refusedForEnvironment = (result: { status: number; body: Json }) => {
  expect(result.status, JSON.stringify(result.body)).toBe(403);
  expect(result.body.error.code).toBe('SY_ERR_ENVIRONMENT_FORBIDDEN');
};

const keyId = async (key: string, admin = prodAdmin) => {
  const { body } = await call('GET', '/v1/admin/keys', admin);
  return (body.keys as Json[]).find((record) => key.startsWith(record.prefix))?.id as string;
};

/** A waiting message.send job: no worker runs in the 'api' role, so it stays as it is. */
async function enqueue(environment: 'prod' | 'dev', text: string): Promise<string> {
  const job = await server.parts.jobs.enqueue(
    'message.send',
    { environment, apiKeyId: null, channel: 'whatsapp', to: '+15551234567', text },
    { environment },
  );
  return job.id;
}

/** Dead-letters every waiting message.send job, as a worker whose attempt failed for good would. */
async function deadLetterWaiting(): Promise<void> {
  const repository = createJobsRepository(server.parts.databases.prod.db);
  const now = new Date();
  const claimed = await repository.claim({
    name: 'message.send',
    workerId: 'admin-environment-test',
    limit: 100,
    now,
    lockExpiresAt: new Date(now.getTime() + 60_000),
  });
  for (const row of claimed) {
    await repository.fail(
      { id: row.id, workerId: 'admin-environment-test', attempt: row.attempts },
      { error: { message: 'upstream said no', code: 'SY_ERR_UPSTREAM' }, retryAt: null },
      now,
    );
  }
}

beforeAll(async () => {
  // One app per environment (both down: an admin list says so without calling anything else).
  const app = async (id: string, environment: 'prod' | 'dev') => ({
    id,
    type: 'mcp',
    url: await closedPortUrl('/mcp'),
    environments: [environment],
  });
  server = await startTestServer({
    role: 'api',
    config: {
      ollama: { autodetect: false },
      apps: [await app('prod-app', 'prod'), await app('dev-app', 'dev')],
      // Nothing is sent: the 'api' role runs no jobs, and dev records instead of sending.
      whatsapp: {
        graphBaseURL: await closedPortUrl(),
        appSecret: 'admin-test-app-secret',
        prod: { phoneNumberId: '100', accessToken: 'prod-whatsapp-token' },
        dev: { phoneNumberId: '200', dryRun: true },
      },
    },
  });
  prodAdmin = await server.createKey('prod', { admin: true, name: 'prod admin' });
  devAdmin = await server.createKey('dev', { admin: true, name: 'dev admin' });
  prodUser = await server.createKey('prod', { name: 'prod user' });
  devUser = await server.createKey('dev', { name: 'dev user' });
  ids.prodKey = await keyId(prodUser);
  ids.devKey = await keyId(devUser);

  ids.prodDeadForReplay = await enqueue('prod', 'prod secret one');
  ids.prodDeadForDiscard = await enqueue('prod', 'prod secret two');
  ids.devDead = await enqueue('dev', 'dev text');
  await deadLetterWaiting();
  ids.prodJob = await enqueue('prod', 'prod secret waiting');
  ids.devJob = await enqueue('dev', 'dev waiting');

  // A dead-lettered event in each environment, as a consumer group that gave up would leave it.
  const events = createEventsRepository(server.parts.databases.prod.db);
  for (const environment of ['prod', 'dev'] as const) {
    await events.addDeadLetter({
      id: environment === 'prod' ? ids.prodDeadEvent : ids.devDeadEvent,
      groupName: 'admin-test',
      envelope: {
        id: `event-${environment}`,
        name: 'FlowCompleted',
        version: 1,
        environment,
        flowId: null,
        payload: { outcome: 'failed', message: `${environment} secret outcome` },
        publishedAt: new Date().toISOString(),
      },
      attempts: 5,
      lastError: { message: 'the handler failed', code: null },
      deadAt: new Date(),
    });
  }

  // A usage row in each environment.
  for (const key of [prodUser, devUser]) await call('GET', '/v1/models', key);
  await server.parts.usage.flush();
  // A skill call row in each environment (both apps are down: the call is logged as unavailable).
  await call('POST', '/v1/apps/prod-app/skills/echo', prodUser, { input: {} });
  await call('POST', '/v1/apps/dev-app/skills/echo', devUser, { input: {} });
  await server.parts.skillCalls.flush();

  const user = await server.parts.accounts.createUser({
    email: 'someone@example.test',
    name: 'Someone',
    password: 'a-long-enough-password',
    role: 'user',
  });
  ids.userId = user.id;

  // A schedule in each environment (the 'api' role fires nothing: its jobs only appear on run-now).
  for (const environment of ['prod', 'dev'] as const) {
    const schedule = await server.parts.schedules.create({
      environment,
      name: `${environment} purge`,
      origin: 'admin',
      jobName: 'maintenance.purge',
      payload: { environment, target: 'idempotency-keys' },
      timing: { kind: 'interval', intervalMs: 3_600_000 },
      missedPolicy: 'skip',
    });
    ids[environment === 'prod' ? 'prodSchedule' : 'devSchedule'] = schedule.id;
  }
});

afterAll(async () => {
  await server?.destroy();
});

type Check = () => Promise<void>;

/** One entry per admin operation (OpenAPI path and method): what a dev admin gets, and that a prod admin still works. */
const checks: Record<string, Check> = {
  'GET /v1/admin/keys': async () => {
    const dev = await call('GET', '/v1/admin/keys?include_revoked=true', devAdmin);
    expect(dev.status).toBe(200);
    const environments = new Set((dev.body.keys as Json[]).map((record) => record.environment));
    expect([...environments]).toEqual(['dev']);
    expect((dev.body.keys as Json[]).map((record) => record.id)).toContain(ids.devKey);
    const prod = await call('GET', '/v1/admin/keys', prodAdmin);
    expect((prod.body.keys as Json[]).map((record) => record.id)).toEqual(
      expect.arrayContaining([ids.prodKey, ids.devKey]),
    );
  },

  'POST /v1/admin/keys': async () => {
    refusedForEnvironment(
      await call('POST', '/v1/admin/keys', devAdmin, { name: 'x', environment: 'prod', admin: true }),
    );
    refusedForEnvironment(await call('POST', '/v1/admin/keys', devAdmin, { name: 'x', environment: 'prod' }));
    const dev = await call('POST', '/v1/admin/keys', devAdmin, { name: 'dev made', environment: 'dev' });
    expect(dev.status).toBe(201);
    expect(dev.body.key).toMatch(/^dev_/);
    const prod = await call('POST', '/v1/admin/keys', prodAdmin, { name: 'p', environment: 'prod', admin: true });
    expect(prod.status).toBe(201);
    expect(prod.body.key).toMatch(/^prod_/);
  },

  'DELETE /v1/admin/keys/{id}': async () => {
    const refused = await call('DELETE', `/v1/admin/keys/${ids.prodKey}`, devAdmin);
    expect(refused.status).toBe(404);
    expect((await call('GET', '/v1/models', prodUser)).status).toBe(200);
    const victim = await server.createKey('dev', { name: 'to revoke' });
    const revoked = await call('DELETE', `/v1/admin/keys/${await keyId(victim)}`, devAdmin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const prodVictim = await server.createKey('prod', { name: 'prod to revoke' });
    expect((await call('DELETE', `/v1/admin/keys/${await keyId(prodVictim)}`, prodAdmin)).status).toBe(200);
  },

  'GET /v1/admin/usage': async () => {
    const dev = await call('GET', '/v1/admin/usage', devAdmin);
    expect(dev.status).toBe(200);
    expect(dev.body.environment).toBe('dev');
    expect(dev.body.totals.requests).toBeGreaterThan(0);
    refusedForEnvironment(await call('GET', '/v1/admin/usage?environment=prod', devAdmin));
    const prod = await call('GET', '/v1/admin/usage?environment=prod', prodAdmin);
    expect(prod.status).toBe(200);
    expect(prod.body.totals.requests).toBeGreaterThan(0);
  },

  'GET /v1/admin/usage/spend': async () => {
    const dev = await call('GET', '/v1/admin/usage/spend?group_by=model', devAdmin);
    expect(dev.status).toBe(200);
    expect(dev.body.environment).toBe('dev');
    refusedForEnvironment(await call('GET', '/v1/admin/usage/spend?environment=prod', devAdmin));
    const prod = await call('GET', '/v1/admin/usage/spend?environment=prod&group_by=key', prodAdmin);
    expect(prod.status).toBe(200);
    expect(prod.body.environment).toBe('prod');
  },

  // Plans are control plane: a dev admin key neither reads nor changes them.
  'POST /v1/admin/plans': async () => {
    refusedForEnvironment(await call('POST', '/v1/admin/plans', devAdmin, { id: 'dev-made', name: 'Dev' }));
    const prod = await call('POST', '/v1/admin/plans', prodAdmin, { id: 'env-check', name: 'Environment check' });
    expect(prod.status).toBe(201);
  },
  'GET /v1/admin/plans': async () => {
    refusedForEnvironment(await call('GET', '/v1/admin/plans', devAdmin));
    const prod = await call('GET', '/v1/admin/plans', prodAdmin);
    expect(prod.status).toBe(200);
    expect(prod.body.plans.map((plan: Json) => plan.id)).toContain('env-check');
  },
  'GET /v1/admin/plans/{id}': async () => {
    refusedForEnvironment(await call('GET', '/v1/admin/plans/env-check', devAdmin));
    expect((await call('GET', '/v1/admin/plans/env-check', prodAdmin)).status).toBe(200);
  },
  'PATCH /v1/admin/plans/{id}': async () => {
    refusedForEnvironment(await call('PATCH', '/v1/admin/plans/env-check', devAdmin, { token_budget: 1 }));
    const prod = await call('PATCH', '/v1/admin/plans/env-check', prodAdmin, { description: 'checked' });
    expect(prod.status).toBe(200);
    expect(prod.body.description).toBe('checked');
  },
  'GET /v1/admin/plans/{id}/assignments': async () => {
    refusedForEnvironment(await call('GET', '/v1/admin/plans/env-check/assignments', devAdmin));
    expect((await call('GET', '/v1/admin/plans/env-check/assignments', prodAdmin)).status).toBe(200);
  },
  'PUT /v1/admin/plan-assignments': async () => {
    const body = { subject_type: 'key', subject_id: ids.devKey, plan_id: 'env-check' };
    refusedForEnvironment(await call('PUT', '/v1/admin/plan-assignments', devAdmin, body));
    expect((await call('PUT', '/v1/admin/plan-assignments', prodAdmin, body)).status).toBe(200);
  },
  'DELETE /v1/admin/plan-assignments/{subject_type}/{subject_id}': async () => {
    const path = `/v1/admin/plan-assignments/key/${ids.devKey}`;
    refusedForEnvironment(await call('DELETE', path, devAdmin));
    expect((await call('DELETE', path, prodAdmin)).status).toBe(204);
  },
  'DELETE /v1/admin/plans/{id}': async () => {
    refusedForEnvironment(await call('DELETE', '/v1/admin/plans/env-check', devAdmin));
    expect((await call('DELETE', '/v1/admin/plans/env-check', prodAdmin)).status).toBe(204);
  },

  'GET /v1/admin/usage/skills': async () => {
    const dev = await call('GET', '/v1/admin/usage/skills', devAdmin);
    expect(dev.status).toBe(200);
    expect(dev.body.environment).toBe('dev');
    expect((dev.body.calls as Json[]).map((row) => row.app)).toEqual(['dev-app']);
    refusedForEnvironment(await call('GET', '/v1/admin/usage/skills?environment=prod', devAdmin));
    const prod = await call('GET', '/v1/admin/usage/skills?environment=prod', prodAdmin);
    expect(prod.status).toBe(200);
    expect((prod.body.skills as Json[]).map((row) => row.app)).toEqual(['prod-app']);
  },

  'GET /v1/admin/apps': async () => {
    const dev = await call('GET', '/v1/admin/apps', devAdmin);
    expect(dev.status).toBe(200);
    // The built-in apps are in both environments; the configured ones show the filtering.
    const configured = (apps: Json[]) => apps.filter((entry) => entry.kind !== 'builtin');
    expect(configured(dev.body.apps)).toEqual([
      expect.objectContaining({ id: 'dev-app', environments: ['dev'], status: 'unavailable', skills: [] }),
    ]);
    const prod = await call('GET', '/v1/admin/apps', prodAdmin);
    expect((prod.body.apps as Json[]).map((entry) => entry.id)).toEqual(
      expect.arrayContaining(['dev-app', 'prod-app']),
    );
  },

  // Apps are global (the control plane): only a prod admin changes them; a dev admin sees and tests dev's only.
  'POST /v1/admin/apps': async () => {
    const app = { id: 'made-by-admin', type: 'mcp', url: await closedPortUrl('/mcp'), environments: ['dev'] };
    refusedForEnvironment(await call('POST', '/v1/admin/apps', devAdmin, app));
    const prod = await call('POST', '/v1/admin/apps', prodAdmin, app);
    expect(prod.status).toBe(201);
    expect(prod.body).toMatchObject({ id: 'made-by-admin', source: 'admin', environments: ['dev'] });
  },

  'PATCH /v1/admin/apps/{id}': async () => {
    expect((await call('PATCH', '/v1/admin/apps/prod-app', devAdmin, { enabled: false })).status).toBe(404);
    refusedForEnvironment(await call('PATCH', '/v1/admin/apps/dev-app', devAdmin, { enabled: false }));
    const prod = await call('PATCH', '/v1/admin/apps/dev-app', prodAdmin, { roles: ['admin'] });
    expect(prod.status).toBe(200);
    expect(prod.body).toMatchObject({ source: 'config', roles: ['admin'] });
  },

  'DELETE /v1/admin/apps/{id}': async () => {
    const app = { id: 'to-delete', type: 'mcp', url: await closedPortUrl('/mcp'), environments: ['dev'] };
    expect((await call('POST', '/v1/admin/apps', prodAdmin, app)).status).toBe(201);
    refusedForEnvironment(await call('DELETE', '/v1/admin/apps/to-delete', devAdmin));
    expect((await call('DELETE', '/v1/admin/apps/prod-app', devAdmin)).status).toBe(404);
    expect((await call('DELETE', '/v1/admin/apps/to-delete', prodAdmin)).status).toBe(204);
  },

  'POST /v1/admin/apps/{id}/skills/{skill}/test': async () => {
    const input = { input: { text: 'x' } };
    const hidden = await call('POST', '/v1/admin/apps/prod-app/skills/echo/test', devAdmin, input);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('SY_ERR_APP_NOT_FOUND');
    // Both apps are down: reaching them is a 503, which shows the admin got as far as the app.
    expect((await call('POST', '/v1/admin/apps/dev-app/skills/echo/test', devAdmin, input)).status).toBe(503);
    expect((await call('POST', '/v1/admin/apps/prod-app/skills/echo/test', prodAdmin, input)).status).toBe(503);
  },

  'GET /v1/admin/apps/{id}/health': async () => {
    expect((await call('GET', '/v1/admin/apps/prod-app/health', devAdmin)).status).toBe(404);
    const dev = await call('GET', '/v1/admin/apps/dev-app/health', devAdmin);
    expect(dev.body).toMatchObject({ id: 'dev-app', status: 'unavailable', skills: 0 });
    const prod = await call('GET', '/v1/admin/apps/prod-app/health', prodAdmin);
    expect(prod.body).toMatchObject({ id: 'prod-app', status: 'unavailable' });
  },

  'GET /v1/admin/jobs': async () => {
    const dev = await call('GET', '/v1/admin/jobs', devAdmin);
    expect(dev.status).toBe(200);
    expect(dev.body.byName['message.send']).toMatchObject({ waiting: 1, dead: 1 });
    const prod = await call('GET', '/v1/admin/jobs', prodAdmin);
    expect(prod.body.byName['message.send'].waiting + prod.body.byName['message.send'].dead).toBeGreaterThanOrEqual(4);
  },

  'GET /v1/admin/jobs/dead': async () => {
    const dev = await call('GET', '/v1/admin/jobs/dead', devAdmin);
    expect(dev.status).toBe(200);
    expect((dev.body.jobs as Json[]).map((job) => job.id)).toEqual([ids.devDead]);
    expect(JSON.stringify(dev.body)).not.toContain('prod secret');
    const prod = await call('GET', '/v1/admin/jobs/dead', prodAdmin);
    expect((prod.body.jobs as Json[]).map((job) => job.id)).toEqual(
      expect.arrayContaining([ids.prodDeadForReplay, ids.devDead]),
    );
  },

  'GET /v1/admin/jobs/{id}': async () => {
    const refused = await call('GET', `/v1/admin/jobs/${ids.prodJob}`, devAdmin);
    expect(refused.status).toBe(404);
    expect(JSON.stringify(refused.body)).not.toContain('prod secret');
    expect((await call('GET', `/v1/admin/jobs/${ids.devJob}`, devAdmin)).body.payload.text).toBe('dev waiting');
    expect((await call('GET', `/v1/admin/jobs/${ids.prodJob}`, prodAdmin)).body.payload.text).toBe(
      'prod secret waiting',
    );
  },

  'POST /v1/admin/jobs/{id}/replay': async () => {
    expect((await call('POST', `/v1/admin/jobs/${ids.prodDeadForReplay}/replay`, devAdmin)).status).toBe(404);
    expect((await server.parts.jobs.get(ids.prodDeadForReplay))?.status).toBe('dead');
    const replayed = await call('POST', `/v1/admin/jobs/${ids.prodDeadForReplay}/replay`, prodAdmin);
    expect(replayed.status).toBe(200);
    expect(replayed.body.status).toBe('waiting');
  },

  'DELETE /v1/admin/jobs/{id}': async () => {
    expect((await call('DELETE', `/v1/admin/jobs/${ids.prodDeadForDiscard}`, devAdmin)).status).toBe(404);
    expect((await server.parts.jobs.get(ids.prodDeadForDiscard))?.status).toBe('dead');
    expect((await call('DELETE', `/v1/admin/jobs/${ids.prodDeadForDiscard}`, prodAdmin)).status).toBe(204);
    expect(await server.parts.jobs.get(ids.prodDeadForDiscard)).toBeUndefined();
  },

  'GET /v1/admin/events/dead-letters': async () => {
    const dev = await call('GET', '/v1/admin/events/dead-letters', devAdmin);
    expect(dev.status).toBe(200);
    expect((dev.body.dead_letters as Json[]).map((letter) => letter.id)).toEqual([ids.devDeadEvent]);
    expect(JSON.stringify(dev.body)).not.toContain('prod secret');
    const prod = await call('GET', '/v1/admin/events/dead-letters', prodAdmin);
    expect((prod.body.dead_letters as Json[]).map((letter) => letter.id)).toEqual(
      expect.arrayContaining([ids.prodDeadEvent, ids.devDeadEvent]),
    );
  },

  'POST /v1/admin/events/dead-letters/{id}/replay': async () => {
    const refused = await call('POST', `/v1/admin/events/dead-letters/${ids.prodDeadEvent}/replay`, devAdmin);
    expect(refused.status).toBe(404);
    expect(await server.parts.events.getDeadLetter(ids.prodDeadEvent)).toBeDefined();
    const replayed = await call('POST', `/v1/admin/events/dead-letters/${ids.prodDeadEvent}/replay`, prodAdmin);
    expect(replayed.status).toBe(200);
    expect(replayed.body.event.environment).toBe('prod');
    expect(await server.parts.events.getDeadLetter(ids.prodDeadEvent)).toBeUndefined();
  },

  'POST /v1/admin/notifications/test': async () => {
    const body = { userId: ids.userId, title: 'dev test' };
    refusedForEnvironment(
      await call('POST', '/v1/admin/notifications/test', devAdmin, { ...body, environment: 'prod' }),
    );
    const dev = await call('POST', '/v1/admin/notifications/test', devAdmin, body);
    expect(dev.status).toBe(201);
    expect(dev.body.environment).toBe('dev');
    const devRows = await server.parts.notifications.list('dev', ids.userId, { limit: 10, offset: 0 });
    expect(devRows.map((row) => row.id)).toEqual([dev.body.notification.id]);
    expect(await server.parts.notifications.list('prod', ids.userId, { limit: 10, offset: 0 })).toEqual([]);
    const prod = await call('POST', '/v1/admin/notifications/test', prodAdmin, { ...body, environment: 'prod' });
    expect(prod.status).toBe(201);
    expect(prod.body.environment).toBe('prod');
  },

  'GET /v1/admin/settings': async () => {
    const dev = await call('GET', '/v1/admin/settings', devAdmin);
    expect(dev.status).toBe(200);
    const devKeys = (dev.body.settings as Json[]).map((setting) => setting.key as string);
    expect(devKeys).toContain('rate_limit.chat.dev');
    expect(devKeys.filter((key) => !key.endsWith('.dev'))).toEqual([]);
    const prod = await call('GET', '/v1/admin/settings', prodAdmin);
    expect((prod.body.settings as Json[]).map((setting) => setting.key)).toEqual(
      expect.arrayContaining(['rate_limit.chat.prod', 'rate_limit.chat.dev', 'files.max_bytes']),
    );
  },

  'PUT /v1/admin/settings/{key}': async () => {
    refusedForEnvironment(await call('PUT', '/v1/admin/settings/rate_limit.chat.prod', devAdmin, { value: 1 }));
    refusedForEnvironment(await call('PUT', '/v1/admin/settings/files.max_bytes', devAdmin, { value: 1024 }));
    expect(server.parts.settings.current().get('rate_limit.chat.prod')).toBe(15);
    const dev = await call('PUT', '/v1/admin/settings/rate_limit.chat.dev', devAdmin, { value: 77 });
    expect(dev.status).toBe(200);
    expect(dev.body.value).toBe(77);
    const prod = await call('PUT', '/v1/admin/settings/rate_limit.chat.prod', prodAdmin, { value: 16 });
    expect(prod.status).toBe(200);
    expect(prod.body.value).toBe(16);
  },

  'GET /v1/admin/whatsapp/status': async () => {
    const dev = await call('GET', '/v1/admin/whatsapp/status', devAdmin);
    expect(dev.status).toBe(200);
    expect(dev.body).toMatchObject({ environment: 'dev', phone_number_id: '200', dry_run: true });
    refusedForEnvironment(await call('GET', '/v1/admin/whatsapp/status?environment=prod', devAdmin));
    const prod = await call('GET', '/v1/admin/whatsapp/status?environment=prod', prodAdmin);
    expect(prod.body).toMatchObject({ environment: 'prod', phone_number_id: '100', dry_run: false });
  },

  'GET /v1/admin/whatsapp/conversations': async () => {
    for (const environment of ['prod', 'dev'] as const) {
      await createWhatsAppRepository(server.parts.databases[environment].db).touchContact({
        waId: environment === 'prod' ? '+15550000100' : '+15550000200',
        environment,
        profileName: `${environment} secret name`,
        lastInboundAt: new Date(),
      });
    }
    const dev = await call('GET', '/v1/admin/whatsapp/conversations', devAdmin);
    expect(dev.status).toBe(200);
    expect((dev.body.conversations as Json[]).map((entry) => entry.wa_id)).toEqual(['+15550000200']);
    refusedForEnvironment(await call('GET', '/v1/admin/whatsapp/conversations?environment=prod', devAdmin));
    const prod = await call('GET', '/v1/admin/whatsapp/conversations?environment=prod', prodAdmin);
    expect((prod.body.conversations as Json[]).map((entry) => entry.wa_id)).toEqual(['+15550000100']);
  },

  'POST /v1/admin/whatsapp/test-message': async () => {
    const message = { to: '+15550000300', template: { name: 'hello_world', language: 'en_US' } };
    refusedForEnvironment(
      await call('POST', '/v1/admin/whatsapp/test-message', devAdmin, { ...message, environment: 'prod' }),
    );
    const dev = await call('POST', '/v1/admin/whatsapp/test-message', devAdmin, message);
    expect(dev.status).toBe(202);
    expect(dev.body.environment).toBe('dev');
    const prod = await call('POST', '/v1/admin/whatsapp/test-message', prodAdmin, { ...message, environment: 'prod' });
    expect(prod.status).toBe(202);
    expect(prod.body.environment).toBe('prod');
  },

  'GET /api/users': async () => {
    refusedForEnvironment(await call('GET', '/api/users', devAdmin));
    const prod = await call('GET', '/api/users', prodAdmin);
    expect(prod.status).toBe(200);
    expect((prod.body.users as Json[]).map((user) => user.id)).toContain(ids.userId);
  },

  // Projects are control-plane data of both environments: a dev admin key reaches none of them.
  'GET /v1/admin/projects': async () => {
    refusedForEnvironment(await call('GET', '/v1/admin/projects', devAdmin));
    const prod = await call('GET', '/v1/admin/projects', prodAdmin);
    expect(prod.status).toBe(200);
    expect(Array.isArray(prod.body.projects)).toBe(true);
  },

  'GET /v1/admin/projects/{projectId}': async () => {
    refusedForEnvironment(await call('GET', '/v1/admin/projects/proj_missing', devAdmin));
    expect((await call('GET', '/v1/admin/projects/proj_missing', prodAdmin)).status).toBe(404);
  },

  'DELETE /v1/admin/projects/{projectId}': async () => {
    refusedForEnvironment(await call('DELETE', '/v1/admin/projects/proj_missing', devAdmin));
    expect((await call('DELETE', '/v1/admin/projects/proj_missing', prodAdmin)).status).toBe(404);
  },

  'GET /v1/admin/schedules': async () => {
    const dev = await call('GET', '/v1/admin/schedules', devAdmin);
    expect(dev.status).toBe(200);
    expect(new Set((dev.body.schedules as Json[]).map((schedule) => schedule.environment))).toEqual(new Set(['dev']));
    refusedForEnvironment(await call('GET', '/v1/admin/schedules?environment=prod', devAdmin));
    const prod = await call('GET', '/v1/admin/schedules', prodAdmin);
    const prodIds = (prod.body.schedules as Json[]).map((schedule) => schedule.id);
    expect(prodIds).toEqual(
      expect.arrayContaining([ids.prodSchedule, ids.devSchedule, 'system.idempotency-keys-purge']),
    );
  },
  'POST /v1/admin/schedules': async () => {
    const body = (environment: 'prod' | 'dev') => ({
      name: 'hourly',
      environment,
      job: 'maintenance.purge',
      payload: { environment, target: 'schedule-runs' },
      cron: '0 * * * *',
      timezone: 'Europe/Berlin',
    });
    refusedForEnvironment(await call('POST', '/v1/admin/schedules', devAdmin, body('prod')));
    const dev = await call('POST', '/v1/admin/schedules', devAdmin, body('dev'));
    expect(dev.status, JSON.stringify(dev.body)).toBe(201);
    expect(dev.body).toMatchObject({ environment: 'dev', cron: '0 * * * *', timezone: 'Europe/Berlin', paused: false });
    expect(typeof dev.body.next_run_at).toBe('string');
    const prod = await call('POST', '/v1/admin/schedules', prodAdmin, body('prod'));
    expect(prod.status).toBe(201);
    const both = await call('POST', '/v1/admin/schedules', prodAdmin, { ...body('prod'), interval_ms: 60_000 });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('SY_ERR_VALIDATION');
  },
  'GET /v1/admin/schedules/{id}': async () => {
    expect((await call('GET', `/v1/admin/schedules/${ids.prodSchedule}`, devAdmin)).status).toBe(404);
    expect((await call('GET', `/v1/admin/schedules/${ids.devSchedule}`, devAdmin)).body.name).toBe('dev purge');
    expect((await call('GET', `/v1/admin/schedules/${ids.prodSchedule}`, prodAdmin)).body.name).toBe('prod purge');
  },
  'GET /v1/admin/schedules/{id}/runs': async () => {
    expect((await call('GET', `/v1/admin/schedules/${ids.prodSchedule}/runs`, devAdmin)).status).toBe(404);
    expect((await call('GET', `/v1/admin/schedules/${ids.devSchedule}/runs`, devAdmin)).status).toBe(200);
    expect((await call('GET', `/v1/admin/schedules/${ids.prodSchedule}/runs`, prodAdmin)).status).toBe(200);
  },
  'PATCH /v1/admin/schedules/{id}': async () => {
    const change = { name: 'renamed', interval_ms: 7_200_000 };
    expect((await call('PATCH', `/v1/admin/schedules/${ids.prodSchedule}`, devAdmin, change)).status).toBe(404);
    const dev = await call('PATCH', `/v1/admin/schedules/${ids.devSchedule}`, devAdmin, change);
    expect(dev.body).toMatchObject({ name: 'renamed', interval_ms: 7_200_000 });
    const prod = await call('PATCH', `/v1/admin/schedules/${ids.prodSchedule}`, prodAdmin, {
      missed_policy: 'run_once',
    });
    expect(prod.body.missed_policy).toBe('run_once');
    const system = await call('PATCH', '/v1/admin/schedules/system.idempotency-keys-purge', prodAdmin, {
      payload: { environment: 'prod', target: 'schedule-runs' },
    });
    expect(system.status).toBe(409);
  },
  'POST /v1/admin/schedules/{id}/pause': async () => {
    expect((await call('POST', `/v1/admin/schedules/${ids.prodSchedule}/pause`, devAdmin)).status).toBe(404);
    expect((await call('POST', `/v1/admin/schedules/${ids.devSchedule}/pause`, devAdmin)).body).toMatchObject({
      paused: true,
      next_run_at: null,
    });
    expect((await call('POST', `/v1/admin/schedules/${ids.prodSchedule}/pause`, prodAdmin)).body.paused).toBe(true);
  },
  'POST /v1/admin/schedules/{id}/resume': async () => {
    expect((await call('POST', `/v1/admin/schedules/${ids.prodSchedule}/resume`, devAdmin)).status).toBe(404);
    expect((await call('POST', `/v1/admin/schedules/${ids.devSchedule}/resume`, devAdmin)).body.paused).toBe(false);
    expect((await call('POST', `/v1/admin/schedules/${ids.prodSchedule}/resume`, prodAdmin)).body.paused).toBe(false);
  },
  'POST /v1/admin/schedules/{id}/run': async () => {
    expect((await call('POST', `/v1/admin/schedules/${ids.prodSchedule}/run`, devAdmin)).status).toBe(404);
    const dev = await call('POST', `/v1/admin/schedules/${ids.devSchedule}/run`, devAdmin);
    expect(dev.status).toBe(202);
    expect(dev.body).toMatchObject({ manual: true, outcome: 'enqueued', job_status: 'waiting' });
    expect((await server.parts.jobs.get(dev.body.job_id as string))?.environment).toBe('dev');
    expect((await call('POST', `/v1/admin/schedules/${ids.prodSchedule}/run`, prodAdmin)).status).toBe(202);
  },
  'DELETE /v1/admin/schedules/{id}': async () => {
    expect((await call('DELETE', `/v1/admin/schedules/${ids.prodSchedule}`, devAdmin)).status).toBe(404);
    expect((await call('DELETE', `/v1/admin/schedules/${ids.devSchedule}`, devAdmin)).status).toBe(204);
    expect((await call('DELETE', '/v1/admin/schedules/system.idempotency-keys-purge', prodAdmin)).status).toBe(409);
    expect((await call('DELETE', `/v1/admin/schedules/${ids.prodSchedule}`, prodAdmin)).status).toBe(204);
  },
  'PUT /api/users/{id}/role': async () => {
    refusedForEnvironment(await call('PUT', `/api/users/${ids.userId}/role`, devAdmin, { role: 'admin' }));
    const prod = await call('PUT', `/api/users/${ids.userId}/role`, prodAdmin, { role: 'admin' });
    expect(prod.status).toBe(200);
    expect(prod.body.role).toBe('admin');
  },
};

async function adminOperations(): Promise<string[]> {
  const document = (await readJson(await fetch(`${server.url}/openapi.json`))) as Json;
  const operations: string[] = [];
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (operation['x-switchyard-auth'] === 'admin') operations.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return operations.sort();
}

describe('admin routes and environments', () => {
  it('has an environment check for every admin operation in the OpenAPI document', async () => {
    const operations = await adminOperations();
    expect(operations.length).toBeGreaterThanOrEqual(Object.keys(checks).length);
    expect(operations).toEqual(Object.keys(checks).sort());
  });

  it('refuses every admin operation to a non-admin dev key', async () => {
    for (const operation of await adminOperations()) {
      const [method = 'GET', path = ''] = operation.split(' ');
      const concrete = path.replace(/\{[^}]+\}/g, 'some-id');
      const result = await call(method, concrete, devUser, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(result.status, operation).toBe(403);
      expect(result.body.error.code, operation).toBe('SY_ERR_FORBIDDEN');
    }
  });

  it('a signed-in admin (the control plane) still administers prod and dev', async () => {
    const password = 'an admin password 789';
    await server.parts.accounts.createUser({ email: 'root@example.test', name: 'Root', password, role: 'admin' });
    const browser = createBrowser(server.url);
    const signedIn = await browser.post('/api/auth/sign-in/email', { email: 'root@example.test', password });
    expect(signedIn.status).toBe(200);
    expect((await browser.get('/api/users')).status).toBe(200);
    expect((await readJson(await browser.get('/v1/admin/usage?environment=prod'))).environment).toBe('prod');
    expect((await readJson(await browser.get('/v1/admin/usage?environment=dev'))).environment).toBe('dev');
    const keys = (await readJson(await browser.get('/v1/admin/keys'))).keys as Json[];
    expect(new Set(keys.map((record) => record.environment))).toEqual(new Set(['prod', 'dev']));
    const setting = await browser.request('PUT', '/v1/admin/settings/files.max_per_user', { body: { value: 99 } });
    expect(setting.status).toBe(200);
  });

  for (const [operation, check] of Object.entries(checks)) {
    it(`${operation}: a dev admin key gets dev only, a prod admin key still works`, check);
  }
});
