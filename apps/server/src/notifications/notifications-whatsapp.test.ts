import { createNotificationsRepository, createWhatsAppRepository } from '@switchyard/db';
import { platformJobs, withBackoffSchedule } from '@switchyard/jobs';
import { eventually, type FakeWhatsAppGraph, startFakeWhatsAppGraph } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationMessageId } from '../messaging/notification-sender';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const prodNumber = '3333333333';
const devNumber = '4444444444';
const prodToken = 'EAAG-prod-notifications-token-0123456789';
const devToken = 'EAAG-dev-notifications-token-0123456789';

let graph: FakeWhatsAppGraph;
let server: TestServer;

beforeAll(async () => {
  // The notification template is approved with two body parameters; dev names one WhatsApp does not know.
  graph = await startFakeWhatsAppGraph({
    numbers: { [prodNumber]: prodToken, [devNumber]: devToken },
    templates: { switchyard_notification: 2 },
  });
  server = await startTestServer({
    config: {
      whatsapp: {
        graphBaseURL: graph.url,
        prod: { phoneNumberId: prodNumber, accessToken: prodToken },
        dev: {
          phoneNumberId: devNumber,
          accessToken: devToken,
          notifications: { template: 'not_approved_yet', language: 'en_US' },
        },
      },
    },
    // Retries after 20 ms instead of minutes: the back-off itself is the catalog's.
    jobsCatalog: withBackoffSchedule(platformJobs, [20, 20, 20, 20, 20, 20]),
  });
});

afterAll(async () => {
  await server?.destroy();
  await graph?.close();
});

/** A signed-up user with a WhatsApp number (or none) and system.test notifications on WhatsApp in `environment`. */
async function userOnWhatsApp(name: string, number: string | null, environment: 'prod' | 'dev' = 'prod') {
  const user = await signUpUser(server.url, name);
  await server.parts.notifications.updatePreferences(environment, user.id, {
    preferences: [
      { kind: 'system.test', channel: 'email', delivery: 'off' },
      { kind: 'system.test', channel: 'whatsapp', delivery: 'immediate' },
    ],
    ...(number ? { whatsappNumber: number } : {}),
  });
  return user;
}

const sentTo = (number: string) => graph.sent.filter((message) => message.body.to === number.slice(1));

async function notifyTest(userId: string, environment: 'prod' | 'dev', title: string, body: string, link?: string) {
  return server.parts.notifications.notify({
    environment,
    userId,
    kind: 'system.test',
    title,
    body,
    ...(link ? { link } : {}),
  });
}

describe('notifications: WhatsApp through the messaging capability', () => {
  it('sends a notification as the approved template with the headline and details as body parameters', async () => {
    const number = '+15550001001';
    const ada = await userOnWhatsApp('ada-whatsapp', number);
    const preferences = await readJson(await ada.browser.get('/api/notifications/preferences'));
    expect(preferences.available).toEqual(['in_app', 'whatsapp']);
    expect(preferences.whatsappNumber).toBe(number);

    const { notification, deliveries } = await notifyTest(
      ada.id,
      'prod',
      'Tide alert',
      'High water\nat 6:12',
      '/searches/s1',
    );
    expect(deliveries.map((row) => [row.channel, row.status])).toEqual([['whatsapp', 'queued']]);
    const [message] = await eventually(() => {
      const found = sentTo(number);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(message?.phoneNumberId).toBe(prodNumber);
    expect(message?.body).toMatchObject({
      messaging_product: 'whatsapp',
      to: number.slice(1),
      type: 'template',
      template: {
        name: 'switchyard_notification',
        language: { code: 'en' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Tide alert' },
              { type: 'text', text: expect.stringMatching(/^High water at 6:12 http:\/\/\S+\/searches\/s1$/) },
            ],
          },
        ],
      },
    });
    const repository = createNotificationsRepository(server.parts.databases.prod.db);
    await eventually(async () =>
      expect((await repository.deliveriesOf(notification.id))[0]).toMatchObject({ status: 'sent' }),
    );
    const batchId = (await repository.deliveriesOf(notification.id))[0]?.batchId ?? '';
    // Recorded like any outbound message, with WhatsApp's id.
    const recorded = await createWhatsAppRepository(server.parts.databases.prod.db).findMessage(
      notificationMessageId(batchId),
    );
    expect(recorded).toMatchObject({ source: 'notification', kind: 'template', status: 'sent', recipient: number });
    expect(recorded?.wamid).toBe(message?.wamid);
  });

  it('retries while WhatsApp answers 5xx and delivers exactly once when it is back', async () => {
    const number = '+15550001002';
    const bob = await userOnWhatsApp('bob-whatsapp', number);
    graph.failNextSends(2, 503, 2, 'Service temporarily unavailable');
    const { notification } = await notifyTest(bob.id, 'prod', 'During the outage', 'Still arrives');
    const repository = createNotificationsRepository(server.parts.databases.prod.db);
    const [delivery] = await repository.deliveriesOf(notification.id);
    const jobId = `ndeliver_${delivery?.batchId}`;
    const job = await eventually(async () => {
      const current = await server.parts.jobs.get(jobId);
      expect(current?.status).toBe('completed');
      return current;
    });
    expect(job?.attempts).toBe(3);
    expect(sentTo(number)).toHaveLength(1);
    const [after] = await repository.deliveriesOf(notification.id);
    expect(after).toMatchObject({ status: 'sent', lastError: null });

    // Running the job again (a redelivery) sends nothing twice.
    await server.parts.notifications.deliverBatch(
      'prod',
      'whatsapp',
      delivery?.batchId ?? '',
      AbortSignal.timeout(5_000),
    );
    expect(sentTo(number)).toHaveLength(1);
  });

  it('dead-letters a refused template (132001) at once with its code, keeping the delivery to replay', async () => {
    const number = '+15550001003';
    const carol = await userOnWhatsApp('carol-whatsapp', number, 'dev');
    const { notification } = await notifyTest(carol.id, 'dev', 'Not approved', 'The template is missing');
    const repository = createNotificationsRepository(server.parts.databases.dev.db);
    const [delivery] = await repository.deliveriesOf(notification.id);
    const jobId = `ndeliver_${delivery?.batchId}`;
    const dead = await eventually(async () => {
      const current = await server.parts.jobs.get(jobId);
      expect(current?.status).toBe('dead');
      return current;
    });
    expect(dead?.attempts).toBe(1);
    expect(dead?.lastError).toMatchObject({
      code: 'SY_ERR_WHATSAPP_TEMPLATE_REJECTED',
      message: expect.stringContaining('WhatsApp error 132001'),
    });
    expect(sentTo(number)).toEqual([]);
    // Not sent, not skipped: the row waits with the reason, and a replay (after the template is approved) sends it.
    const [after] = await repository.deliveriesOf(notification.id);
    expect(after?.status).toBe('queued');
    expect(after?.lastError).toContain('132001');
    const recorded = await createWhatsAppRepository(server.parts.databases.dev.db).findMessage(
      notificationMessageId(delivery?.batchId ?? ''),
    );
    expect(recorded).toMatchObject({ status: 'failed', errorCode: 'SY_ERR_WHATSAPP_TEMPLATE_REJECTED' });
  });

  it('queues nothing for a user without a WhatsApp number', async () => {
    const dave = await userOnWhatsApp('dave-whatsapp', null);
    const before = graph.sent.length;
    const { deliveries } = await notifyTest(dave.id, 'prod', 'Nowhere to send', 'No number');
    expect(deliveries).toEqual([]);
    const listed = await readJson(await dave.browser.get('/api/notifications'));
    expect(listed.notifications.map((item: { title: string }) => item.title)).toEqual(['Nowhere to send']);
    expect(graph.sent.length).toBe(before);
  });
});
