import { createProjectsRepository } from '@switchyard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents, signUpUser } from '../testing/chat-client';
import { keyRequest } from '../testing/key-request';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { signWebhook } from './webhook-signature';

/**
 * Plans, cost accounting and budgets through the HTTP API of one embedded server. The budget clock
 * is the test's; prices are whole dollars per token so costs read plainly.
 */
const webhookSecret = 'billing-webhook-secret-for-tests';
// The budget clock is 22:00 UTC of today's real date: usage rows carry real time, and the budget of a
// period is reloaded from the rows stored in it, so the clock's day must be the day the rows are written.
const today = new Date();
let now = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 22);
const nextMidnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1);
let server: TestServer;
let admin: string;
let userId: string;

const call = (key: string, method: string, path: string, body?: unknown) =>
  keyRequest(server.url, key, method, path, body);
const chat = (key: string, model = 'fast', content = 'hello there') =>
  call(key, 'POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content }] });
const json = async (response: Response) => (await readJson(response)) as Json;
const createPlan = async (body: Record<string, unknown>) => {
  const response = await call(admin, 'POST', '/v1/admin/plans', body);
  expect(response.status, JSON.stringify(await response.clone().json())).toBe(201);
  return json(response);
};
const assign = async (subjectType: 'key' | 'user' | 'project', subjectId: string, planId: string) => {
  const response = await call(admin, 'PUT', '/v1/admin/plan-assignments', {
    subject_type: subjectType,
    subject_id: subjectId,
    plan_id: planId,
  });
  expect(response.status).toBe(200);
};
async function userKey(name: string, owner = userId) {
  const created = await server.parts.keyService.create({ name, environment: 'prod', admin: false, userId: owner });
  return { key: created.key, id: created.record.id };
}

beforeAll(async () => {
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      models: [
        { id: 'fast', provider: 'echo', aliases: ['quick'] },
        { id: 'smart', provider: 'echo' },
      ],
      prices: { fast: { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 }, smart: { inputPerMillion: 0 } },
      billing: { webhookSecret },
    },
    seedIpLimit: true,
    budgetClock: { now: () => now },
  });
  admin = await server.createKey('prod', { admin: true });
  const user = await server.parts.accounts.createUser({
    email: 'buyer@example.test',
    password: 'a long password 123',
    role: 'user',
  });
  userId = user.id;
}, 180_000);
afterAll(() => server?.destroy());

describe('per-IP and per-user limits for every caller', () => {
  it("applies the seed's 20 requests per minute per IP to callers with keys, across keys", async () => {
    const keys = [await userKey('ip-a'), await userKey('ip-b', (await anotherUser('ip@example.test')).id)];
    const statuses: number[] = [];
    for (let index = 0; index < 21; index += 1) statuses.push((await chat(keys[index % 2]?.key ?? '')).status);
    expect(statuses.slice(0, 20).every((status) => status === 200)).toBe(true);
    const refused = await chat(keys[0]?.key ?? '');
    expect(refused.status).toBe(429);
    const body = await json(refused);
    expect(body.error.code).toBe('SY_ERR_RATE_LIMITED');
    expect(body.error.message).toContain('per client IP');
    // Out of the way for the rest of this file (all from 127.0.0.1).
    expect((await call(admin, 'PUT', '/v1/admin/settings/rate_limit.ip.per_minute', { value: 100_000 })).status).toBe(
      200,
    );
  });

  it("counts a user's keys together against the plan's per-user limit, and a key against its per-key limit", async () => {
    await createPlan({ id: 'limited', name: 'Limited', user_requests_per_minute: 3, key_requests_per_minute: 2 });
    const owner = await anotherUser('limits@example.test');
    await assign('user', owner.id, 'limited');
    const first = await userKey('limit-1', owner.id);
    const second = await userKey('limit-2', owner.id);
    expect((await chat(first.key)).status).toBe(200);
    expect((await chat(first.key)).status).toBe(200);
    const perKey = await chat(first.key);
    expect(perKey.status).toBe(429);
    expect((await json(perKey)).error.message).toContain('API key');
    expect((await chat(second.key)).status).toBe(200);
    const perUser = await chat(second.key);
    expect(perUser.status).toBe(429);
    expect((await json(perUser)).error.message).toContain('per user');
  });
});

describe('plans', () => {
  it("refuses models outside the plan's list (by id or alias), and a plan change applies to the very next request", async () => {
    await createPlan({ id: 'fast-only', name: 'Fast only', models: ['fast'] });
    const { key, id } = await userKey('allow-list');
    await assign('key', id, 'fast-only');
    expect((await chat(key, 'fast')).status).toBe(200);
    expect((await chat(key, 'quick')).status).toBe(200);
    const refused = await chat(key, 'smart');
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe('SY_ERR_MODEL_NOT_ALLOWED');

    const changed = await call(admin, 'PATCH', '/v1/admin/plans/fast-only', { models: ['smart'] });
    expect(changed.status).toBe(200);
    expect((await chat(key, 'smart')).status).toBe(200);
    expect((await chat(key, 'fast')).status).toBe(403);
  });

  it('validates plan fields and refuses to delete a plan in use', async () => {
    const unknownModel = await call(admin, 'POST', '/v1/admin/plans', { id: 'bad', name: 'Bad', models: ['nope'] });
    expect(unknownModel.status).toBe(400);
    expect((await json(unknownModel)).error.code).toBe('SY_ERR_VALIDATION');
    expect((await call(admin, 'POST', '/v1/admin/plans', { id: 'Bad Id', name: 'x' })).status).toBe(400);
    await createPlan({ id: 'in-use', name: 'In use' });
    await assign('key', (await userKey('in-use')).id, 'in-use');
    expect((await call(admin, 'POST', '/v1/admin/plans', { id: 'in-use', name: 'again' })).status).toBe(409);
    expect((await call(admin, 'DELETE', '/v1/admin/plans/in-use')).status).toBe(409);
    const missingSubject = await call(admin, 'PUT', '/v1/admin/plan-assignments', {
      subject_type: 'user',
      subject_id: 'no-such-user',
      plan_id: 'in-use',
    });
    expect(missingSubject.status).toBe(404);
    const user = await userKey('not-admin');
    expect((await call(user.key, 'GET', '/v1/admin/plans')).status).toBe(403);
  });
});

describe('cost accounting and budgets', () => {
  it('writes the cost on every usage row and reports spend per key, user and model', async () => {
    const owner = await anotherUser('spender@example.test');
    const { key, id } = await userKey('spender', owner.id);
    const answered = await json(await chat(key, 'fast', 'count my cost'));
    const expected = answered.usage.prompt_tokens * 1 + answered.usage.completion_tokens * 2;
    await server.parts.usage.flush();
    const byKey = await json(await call(admin, 'GET', '/v1/admin/usage/spend?group_by=key'));
    const row = (byKey.rows as Json[]).find((entry) => entry.id === id);
    expect(row).toMatchObject({ label: 'spender', requests: 1, cost_usd: expected });
    const byUser = await json(await call(admin, 'GET', '/v1/admin/usage/spend?group_by=user'));
    expect((byUser.rows as Json[]).find((entry) => entry.id === owner.id)).toMatchObject({
      label: 'spender@example.test',
      cost_usd: expected,
    });
    const byModel = await json(await call(admin, 'GET', '/v1/admin/usage/spend?group_by=model'));
    expect((byModel.rows as Json[]).find((entry) => entry.id === 'fast')?.cost_usd).toBeGreaterThanOrEqual(expected);
    const dashboard = await json(await call(admin, 'GET', '/v1/admin/usage'));
    expect(dashboard.totals.cost_usd).toBeGreaterThanOrEqual(expected);
  });

  it('notifies at the soft limit, refuses with 402 and the reset time at the hard limit, and resets on the next day', async () => {
    const owner = await anotherUser('budget@example.test');
    const { key } = await userKey('budget', owner.id);
    const probe = await json(await chat(key, 'smart', 'measure'));
    const perRequest = probe.usage.prompt_tokens + probe.usage.completion_tokens;
    // The probe is the day's spend too: its usage row is stored before the plan's budget is first counted
    // (from the stored rows), so it uses one of the four requests' worth whatever the write batching does.
    await server.parts.usage.flush();
    await createPlan({
      id: 'daily',
      name: 'Daily',
      budget_period: 'day',
      token_budget: perRequest * 4,
      soft_limit_percent: 50,
    });
    await assign('user', owner.id, 'daily');
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) statuses.push((await chat(key, 'smart', 'measure')).status);
    expect(statuses).toEqual([200, 200, 200, 402]);
    const refused = await chat(key, 'smart', 'measure');
    expect(refused.status).toBe(402);
    expect(refused.headers.get('retry-after')).toBe(String(2 * 3600));
    const body = await json(refused);
    expect(body.error.code).toBe('SY_ERR_BUDGET_EXCEEDED');
    expect(body.error.message).toContain(new Date(nextMidnight).toISOString());

    const mine = await json(await call(key, 'GET', '/v1/me/usage'));
    expect(mine.plan.id).toBe('daily');
    expect(mine.budgets.tokens).toMatchObject({ limit: perRequest * 4, remaining: 0 });
    expect(mine.period.resets_at).toBe(new Date(nextMidnight).toISOString());

    const notifications = await server.parts.notifications.list('prod', owner.id, { limit: 10, offset: 0 });
    expect(notifications.map((row) => row.kind).sort()).toEqual(['budget.exhausted', 'budget.soft-limit']);

    now = nextMidnight + 1_000;
    expect((await chat(key, 'smart', 'measure')).status).toBe(200);
  });
});

describe('plans of projects', () => {
  it("puts a project's keys on the project's plan and budget, after a key's own plan and before the user's", async () => {
    const owner = await anotherUser('project-owner@example.test');
    const member = await anotherUser('project-member@example.test');
    const projects = createProjectsRepository(server.parts.databases.prod.db);
    const project = await projects.create({ id: 'proj_plans', name: 'Plans', description: null, ownerId: owner.id });
    await projects.addMember(project.id, member.id, 'member');
    const projectKey = async (name: string, user: string) => {
      const created = await server.parts.keyService.create({
        name,
        environment: 'prod',
        admin: false,
        userId: user,
        projectId: project.id,
      });
      return { key: created.key, id: created.record.id };
    };
    const ownersKey = await projectKey('owner-in-project', owner.id);
    const membersKey = await projectKey('member-in-project', member.id);
    const membersOwn = await userKey('member-personal', member.id);
    const probe = await json(await chat(membersOwn.key, 'smart', 'measure'));
    const perRequest = probe.usage.prompt_tokens + probe.usage.completion_tokens;

    await createPlan({ id: 'team', name: 'Team', token_budget: perRequest * 2, models: ['smart'] });
    await createPlan({ id: 'solo', name: 'Solo', models: ['fast'] });
    await createPlan({ id: 'key-own', name: 'Key own', models: ['fast', 'smart'] });
    await assign('user', member.id, 'solo');
    const unknown = await call(admin, 'PUT', '/v1/admin/plan-assignments', {
      subject_type: 'project',
      subject_id: 'proj_missing',
      plan_id: 'team',
    });
    expect(unknown.status).toBe(404);
    await assign('project', project.id, 'team');
    const listed = await json(await call(admin, 'GET', '/v1/admin/plans/team/assignments'));
    expect(listed.assignments).toEqual([expect.objectContaining({ subject_type: 'project', subject_id: project.id })]);

    // Within the project the project's plan applies (its model list), outside it the user's.
    expect((await chat(membersKey.key, 'fast')).status).toBe(403);
    expect((await chat(membersOwn.key, 'smart')).status).toBe(403);
    expect((await chat(membersOwn.key, 'fast')).status).toBe(200);
    // Both members' project keys share the project's budget: two requests fit, the third is refused.
    expect((await chat(membersKey.key, 'smart', 'measure')).status).toBe(200);
    expect((await chat(ownersKey.key, 'smart', 'measure')).status).toBe(200);
    const refused = await chat(membersKey.key, 'smart', 'measure');
    expect(refused.status).toBe(402);
    expect((await json(refused)).error.message).toContain("plan 'team'");

    await server.parts.usage.flush();
    const usage = await json(await call(ownersKey.key, 'GET', '/v1/me/usage'));
    expect(usage).toMatchObject({ plan: { id: 'team' }, budget_owner: 'project' });
    expect(usage.budgets.tokens).toMatchObject({ limit: perRequest * 2, remaining: 0 });
    // The project's rows only: the member's personal 'smart' probe is not among them.
    const smart = (usage.models as Json[]).find((row) => row.model === 'smart');
    expect(smart.prompt_tokens + smart.completion_tokens).toBe(perRequest * 2);

    // A key's own plan still wins over its project's.
    await assign('key', ownersKey.id, 'key-own');
    expect((await chat(ownersKey.key, 'fast')).status).toBe(200);
    expect((await call(admin, 'DELETE', `/v1/admin/plan-assignments/project/${project.id}`)).status).toBe(204);
    expect((await chat(membersKey.key, 'fast')).status).toBe(200);
  });

  it('deleting a project removes its plan assignment (the plan can then be deleted)', async () => {
    const owner = await anotherUser('deleted-project-owner@example.test');
    const projects = createProjectsRepository(server.parts.databases.prod.db);
    const project = await projects.create({ id: 'proj_gone', name: 'Gone', description: null, ownerId: owner.id });
    await createPlan({ id: 'short-lived', name: 'Short-lived' });
    await assign('project', project.id, 'short-lived');
    expect((await call(admin, 'DELETE', '/v1/admin/plans/short-lived')).status).toBe(409);
    const inProject = { kind: 'user', keyId: null, userId: owner.id, projectId: project.id, subject: '' } as const;
    expect(server.parts.plans.store.resolve(inProject).budgetSubject).toBe(`project:${project.id}`);

    expect((await call(admin, 'DELETE', `/v1/admin/projects/${project.id}`)).status).toBe(204);
    expect((await json(await call(admin, 'GET', '/v1/admin/plans/short-lived/assignments'))).assignments).toEqual([]);
    // This process's plan cache forgot it too: the owner's own plan applies again.
    expect(server.parts.plans.store.resolve(inProject).budgetSubject).toBe(`user:${owner.id}`);
    expect((await call(admin, 'DELETE', '/v1/admin/plans/short-lived')).status).toBe(204);
  });
});

describe("the web chat's own answers", () => {
  it('are metered like API requests: the plan, its model list, the budget (402) and usage rows with the user', async () => {
    const { browser, id } = await signUpUser(server.url, 'chatter');
    const answer = async (body: Record<string, unknown>) => {
      const started = await browser.post('/api/chat/start', { message: 'measure', ...body });
      if (started.status !== 201) return { status: started.status, body: await json(started), tokens: 0 };
      const { sessionId } = (await json(started)) as { sessionId: string };
      const events = await readEvents(await browser.get(`/api/chat/stream?sessionId=${sessionId}`));
      const done = events.find((event) => event.event === 'done')?.data as Json;
      return { status: 201, body: done, tokens: done.usage.prompt_tokens + done.usage.completion_tokens };
    };
    const probe = await answer({ model: 'smart' });
    expect(probe.status).toBe(201);
    await server.parts.usage.flush();

    await createPlan({ id: 'chat-plan', name: 'Chat plan', models: ['smart'], token_budget: probe.tokens * 2 });
    await assign('user', id, 'chat-plan');
    // The default model of the server ('fast') and a comparison that includes it are outside the plan.
    const refusedModel = await answer({ model: 'fast' });
    expect(refusedModel.status).toBe(403);
    expect(refusedModel.body.error.code).toBe('SY_ERR_MODEL_NOT_ALLOWED');
    expect((await answer({ models: ['smart', 'fast'] })).status).toBe(403);
    // The probe counts (its row carries the user), so one more answer fits and the next is refused.
    expect((await answer({ model: 'smart' })).status).toBe(201);
    const refused = await answer({ model: 'smart' });
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe('SY_ERR_BUDGET_EXCEEDED');
    expect(refused.body.error.resets_at).toBe('2027-01-01T00:00:00.000Z');

    await server.parts.usage.flush();
    const mine = await json(await browser.get('/v1/me/usage'));
    expect(mine).toMatchObject({ plan: { id: 'chat-plan' }, budget_owner: 'user' });
    expect(mine.budgets.tokens).toMatchObject({ used: probe.tokens * 2, remaining: 0 });
    expect((mine.models as Json[]).find((row) => row.model === 'smart')?.requests).toBe(2);
  });

  it("use the project's plan in a project chat", async () => {
    const { browser, id } = await signUpUser(server.url, 'project-chatter');
    const projects = createProjectsRepository(server.parts.databases.prod.db);
    const project = await projects.create({ id: 'proj_chat', name: 'Chat', description: null, ownerId: id });
    await createPlan({ id: 'fast-team', name: 'Fast team', models: ['fast'] });
    await assign('project', project.id, 'fast-team');
    const personal = await browser.post('/api/chat/start', { message: 'hi', model: 'smart' });
    expect(personal.status).toBe(201);
    const inProject = await browser.post('/api/chat/start', { message: 'hi', model: 'smart', projectId: project.id });
    expect(inProject.status).toBe(403);
    expect((await json(inProject)).error.message).toContain("plan 'fast-team'");
    expect(
      (await browser.post('/api/chat/start', { message: 'hi', model: 'fast', projectId: project.id })).status,
    ).toBe(201);
    // The user's own plan does not decide in the project: 'fast' is outside it, inside the project's.
    await createPlan({ id: 'smart-only', name: 'Smart only', models: ['smart'] });
    await assign('user', id, 'smart-only');
    expect((await browser.post('/api/chat/start', { message: 'hi', model: 'fast' })).status).toBe(403);
    const projectChat = await browser.post('/api/chat/start', { message: 'hi', model: 'fast', projectId: project.id });
    expect(projectChat.status).toBe(201);
  });
});

describe('the billing webhook', () => {
  const deliver = (body: string, signature: string | null) =>
    fetch(`${server.url}/v1/billing/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'switchyard-signature': signature } : {}) },
      body,
    });

  it('assigns and removes plans when signed, and refuses a missing, wrong or stale signature', async () => {
    await createPlan({ id: 'pro', name: 'Pro' });
    const customer = await anotherUser('customer@example.test');
    const body = JSON.stringify({
      event: 'plan.assigned',
      subject_type: 'user',
      subject_id: customer.id,
      plan_id: 'pro',
      reference: 'sub_123',
    });
    const seconds = Math.floor(now / 1000);
    for (const signature of [
      null,
      signWebhook('another-secret-entirely', body, seconds),
      signWebhook(webhookSecret, `${body} `, seconds),
      signWebhook(webhookSecret, body, seconds - 3600),
    ]) {
      const refused = await deliver(body, signature);
      expect(refused.status).toBe(401);
      expect((await json(refused)).error.code).toBe('SY_ERR_INVALID_SIGNATURE');
    }
    expect((await json(await call(admin, 'GET', '/v1/admin/plans/pro'))).assignments).toBe(0);

    const accepted = await deliver(body, signWebhook(webhookSecret, body, seconds));
    expect(accepted.status).toBe(200);
    expect((await json(accepted)).assignment).toMatchObject({
      plan_id: 'pro',
      source: 'webhook',
      external_reference: 'sub_123',
    });
    const removal = JSON.stringify({ event: 'plan.removed', subject_type: 'user', subject_id: customer.id });
    expect((await deliver(removal, signWebhook(webhookSecret, removal, seconds))).status).toBe(200);
    expect((await json(await call(admin, 'GET', '/v1/admin/plans/pro'))).assignments).toBe(0);
  });
});

async function anotherUser(email: string) {
  return server.parts.accounts.createUser({ email, password: 'a long password 123', role: 'user' });
}
