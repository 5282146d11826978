import { createWhatsAppRepository } from '@switchyard/db';
import {
  createServerModeEnvironment,
  deliverWhatsAppWebhook,
  eventually,
  type FakeWhatsAppGraph,
  serverModeAvailable,
  startFakeWhatsAppGraph,
  whatsappStatusUpdate,
  whatsappTextMessage,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const available = await serverModeAvailable('server-mode WhatsApp messages');
const appSecret = 'server-mode-app-secret-0123456789';

describe.skipIf(!available)('server mode: an API process queues, a worker sends, the webhook reports', () => {
  const cleanups: Array<() => Promise<void>> = [];
  let api: TestServer;
  let graph: FakeWhatsAppGraph;

  beforeAll(async () => {
    const environment = await createServerModeEnvironment();
    cleanups.push(environment.drop);
    graph = await startFakeWhatsAppGraph({
      numbers: { '3333': 'prod-token-server-mode', '4444': 'dev-token-server-mode' },
    });
    cleanups.push(graph.close);
    const config = {
      ollama: { autodetect: false },
      whatsapp: {
        graphBaseURL: graph.url,
        appSecret,
        prod: { phoneNumberId: '3333', accessToken: 'prod-token-server-mode' },
        dev: { phoneNumberId: '4444', accessToken: 'dev-token-server-mode' },
      },
    };
    api = await startTestServer({ config, variables: environment.variables, role: 'api' });
    cleanups.push(() => api.destroy());
    const worker = await startTestServer({ config, variables: environment.variables, role: 'worker' });
    cleanups.push(() => worker.destroy());
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it('sends from the dev number and shows what the webhook reported', async () => {
    const key = await api.createKey('dev');
    graph.openWindow('4915100000040');
    const inbound = await deliverWhatsAppWebhook(
      `${api.url}/v1/whatsapp/webhook`,
      whatsappTextMessage({ phoneNumberId: '4444', from: '4915100000040', text: 'hello' }),
      appSecret,
    );
    expect(inbound.status).toBe(200);
    // The worker records the inbound message, which opens the 24-hour window for free-form text.
    const repository = createWhatsAppRepository(api.parts.databases.dev.db);
    await eventually(async () => expect(await repository.lastInboundAt('+4915100000040')).not.toBeNull(), {
      safetyMs: 30_000,
      intervalMs: 50,
    });
    const response = await fetch(`${api.url}/v1/messages/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ to: '+4915100000040', text: 'hello from a worker' }),
    });
    expect(response.status).toBe(202);
    const accepted = await readJson(response);
    const [sent] = await graph.waitForSent(1);
    expect(sent).toMatchObject({ phoneNumberId: '4444', body: { to: '4915100000040' } });
    await deliverWhatsAppWebhook(
      `${api.url}/v1/whatsapp/webhook`,
      whatsappStatusUpdate({
        phoneNumberId: '4444',
        wamid: sent?.wamid ?? '',
        status: 'read',
        recipient: '4915100000040',
      }),
      appSecret,
    );
    const read = await eventually(
      async () => {
        const response = await fetch(`${api.url}/v1/messages/${accepted.id}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        const body = await readJson(response);
        expect(body.status).toBe('read');
        return body;
      },
      { safetyMs: 30_000, intervalMs: 100 },
    );
    expect(read.environment).toBe('dev');
  });
});
