import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWhatsAppRepository } from '@switchyard/db';
import {
  deliverWhatsAppWebhook,
  eventually,
  type FakeUpstreamServer,
  type FakeWhatsAppGraph,
  startFakeOpenAI,
  startFakeWhatsAppGraph,
  whatsappTextMessage,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * An embedded server keeps budget counters in memory and, after a restart, starts them from the usage
 * log. A WhatsApp sender has no key, user or client IP: its rows carry its subject, which the reload reads.
 */
const slow = { timeout: 120_000 };
const soon = <T>(assertion: () => T | Promise<T>) => eventually(assertion, { safetyMs: 45_000 });
const appSecret = 'meta-app-secret-for-restart-tests-0123';
const prodNumber = '3333333333';
const prodToken = 'EAAG-restart-access-token-0123456789';
const from = '4915100000041';

let graph: FakeWhatsAppGraph;
let openai: FakeUpstreamServer;
let dataDir: string;
let server: TestServer | undefined;

const config = () => ({
  ollama: { autodetect: false },
  providers: [{ id: 'fake', type: 'openai-compatible', baseURL: openai.url }],
  models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
  prices: { smart: { inputPerMillion: 1_000, outputPerMillion: 2_000 } },
  whatsapp: {
    graphBaseURL: graph.url,
    appSecret,
    verifyToken: 'verify-token-restart-0123',
    prod: { phoneNumberId: prodNumber, accessToken: prodToken },
    bot: { enabled: true, model: 'smart' },
  },
});

beforeAll(async () => {
  graph = await startFakeWhatsAppGraph({ numbers: { [prodNumber]: prodToken } });
  openai = await startFakeOpenAI({ reply: () => 'a fairly short answer of eight words here' });
  dataDir = await mkdtemp(join(tmpdir(), 'switchyard-budget-restart-'));
});

afterAll(async () => {
  await server?.destroy();
  await Promise.all([graph?.close(), openai?.close()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function userWrites(current: TestServer, text: string) {
  graph.openWindow(from);
  const response = await deliverWhatsAppWebhook(
    `${current.url}/v1/whatsapp/webhook`,
    whatsappTextMessage({ phoneNumberId: prodNumber, from, text }),
    appSecret,
  );
  expect(response.status, await response.clone().text()).toBe(200);
}

const textsTo = () =>
  graph.sent
    .filter((entry) => entry.body.to === from)
    .map((entry) => (entry.body.text as { body: string } | undefined)?.body ?? '');

async function spent(current: TestServer) {
  const plans = current.parts.plans;
  const resolution = plans.store.resolve({
    kind: 'anonymous',
    keyId: null,
    userId: null,
    subject: `whatsapp:+${from}`,
  });
  expect(resolution.budgetSubject).toBe(`whatsapp:+${from}`);
  return (
    await plans.budgets.spent({
      plan: resolution.plan,
      budgetSubject: resolution.budgetSubject,
      environment: 'prod',
      userId: null,
    })
  ).spent;
}

describe('a WhatsApp sender’s budget across a restart of the embedded server', () => {
  it('is reloaded from the usage rows: what was spent stays spent', slow, async () => {
    server = await startTestServer({ config: config(), dataDir });
    const admin = await server.createKey('prod', { admin: true });
    const first = server;
    // Senders are on the default plan: with a budget of one answer and a token, two answers fit, a third does not.
    const perAnswer = await (async () => {
      await userWrites(first, 'how much is one answer?');
      await soon(() => expect(textsTo()).toHaveLength(1));
      await first.parts.usage.flush();
      return (await spent(first)).tokens;
    })();
    expect(perAnswer).toBeGreaterThan(0);
    const plan = await fetch(`${first.url}/v1/admin/plans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({
        id: 'senders',
        name: 'Senders',
        token_budget: perAnswer + 1,
        budget_period: 'month',
        is_default: true,
      }),
    });
    expect(plan.status, await plan.clone().text()).toBe(201);
    await userWrites(first, 'and a second one?');
    await soon(() => expect(textsTo()).toHaveLength(2));
    await first.parts.usage.flush();
    const before = await spent(first);
    expect(before.tokens).toBeGreaterThan(perAnswer + 1);
    expect(before.nanoDollars).toBeGreaterThan(0);

    await first.destroy();
    server = undefined;
    const second = await startTestServer({ config: config(), dataDir });
    server = second;
    // The counter starts from the usage log, by the sender's subject.
    expect(await spent(second)).toEqual(before);
    await userWrites(second, 'a third one?');
    const repository = createWhatsAppRepository(second.parts.databases.prod.db);
    await soon(async () => expect((await repository.latestInbound(`+${from}`))?.outcome).toBe('budget-exceeded'));
    await soon(() => expect(textsTo()).toHaveLength(3));
    expect(textsTo().at(-1)).toBe(
      'Sorry, your budget for answers is used up for now. Please try again after it resets.',
    );
  });
});
