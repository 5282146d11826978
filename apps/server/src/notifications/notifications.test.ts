import { createNotificationsRepository } from '@switchyard/db';
import { platformJobs, withBackoffSchedule } from '@switchyard/jobs';
import { eventually, startTestSmtpServer, type TestSmtpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let smtp: TestSmtpServer;
let admin: string;

interface Frame {
  id: string | null;
  event: string;
  data: Json;
}

/** The frames of an SSE response as they arrive (heartbeat comments skipped). */
async function* frames(response: Response): AsyncGenerator<Frame> {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        boundary = buffer.indexOf('\n\n');
        const field = (name: string) =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        const data = field('data');
        if (data !== undefined)
          yield { id: field('id') ?? null, event: field('event') ?? 'message', data: JSON.parse(data) };
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

async function next(iterator: AsyncGenerator<Frame>): Promise<Frame> {
  const step = await iterator.next();
  if (step.done) throw new Error('the stream ended');
  return step.value;
}

async function sendTest(userId: string, fields: Record<string, unknown> = {}, key = admin) {
  const response = await fetch(`${server.url}/v1/admin/notifications/test`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, ...fields }),
  });
  return { status: response.status, body: await readJson(response) };
}

async function emailOf(browser: Browser): Promise<string> {
  return (await readJson(await browser.get('/api/auth/get-session'))).user.email as string;
}

/** The same path and query on the test server (links in mail use the configured origin). */
const onServer = (url: string) => {
  const parsed = new URL(url);
  return `${server.url}${parsed.pathname}${parsed.search}`;
};

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  server = await startTestServer({
    variables: { SMTP_URL: smtp.url, SMTP_FROM: 'Switchyard <notify@switchyard.test>' },
    // A second between delivery attempts: an outage in a test lasts a few of them.
    jobsCatalog: withBackoffSchedule(platformJobs, [1_000]),
  });
  admin = await server.createKey('prod', { admin: true, name: 'notifications admin' });
});

afterAll(async () => {
  await server?.destroy();
  await smtp?.close();
});

describe('notifications: email', () => {
  it('mails text and HTML parts with an unsubscribe link that turns that kind’s email off without signing in', async () => {
    const alice = await signUpUser(server.url, 'alice');
    const email = await emailOf(alice.browser);
    const sent = await sendTest(alice.id, { title: 'Tides <today>', body: 'High water at 6:12 & low at 12:30' });
    expect(sent.status).toBe(201);
    expect(sent.body.environment).toBe('prod');
    expect(sent.body.deliveries).toEqual([{ channel: 'email', status: 'queued' }]);

    const mail = await smtp.waitForMail((candidate) => candidate.to.includes(email));
    expect(mail.from).toBe('notify@switchyard.test');
    expect(mail.subject).toBe('Tides <today>');
    expect(mail.text).toContain('High water at 6:12 & low at 12:30');
    expect(mail.html).toContain('Tides &#60;today&#62;');
    expect(mail.html).toContain('High water at 6:12 &#38; low at 12:30');
    expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const link = /Stop these emails \(system\.test\): (\S+)/.exec(mail.text)?.[1];
    expect(link).toBeDefined();
    expect(mail.html).toContain(`href="${(link ?? '').replaceAll('&', '&#38;')}"`);
    expect(mail.headers.get('list-unsubscribe')).toBe(`<${link}>`);

    // Opening the link only asks (mail scanners open links); the button posts.
    const page = await fetch(onServer(link ?? ''));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<form method="post"');
    const preferences = async () => (await readJson(await alice.browser.get('/api/notifications/preferences'))) as Json;
    const testKind = async () => (await preferences()).kinds.find((kind: Json) => kind.kind === 'system.test');
    expect((await testKind()).channels.email).toBe('immediate');
    const confirmed = await fetch(onServer(link ?? ''), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('no more emails');
    expect((await testKind()).channels).toEqual({ in_app: 'immediate', email: 'off', whatsapp: 'off' });

    // The next one stays in the app only.
    const again = await sendTest(alice.id);
    expect(again.body.deliveries).toEqual([]);
    const list = await readJson(await alice.browser.get('/api/notifications'));
    expect(list.notifications.map((item: Json) => item.id)).toContain(again.body.notification.id);

    const forged = `${(link ?? '').slice(0, -3)}abc`;
    expect((await fetch(onServer(forged), { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${server.url}/api/notifications/unsubscribe?token=nonsense`)).status).toBe(404);
  });

  it('keeps retrying while the mail server is down and delivers exactly once when it is back', async () => {
    const frank = await signUpUser(server.url, 'frank');
    const email = await emailOf(frank.browser);
    smtp.setAvailable(false);
    const sent = await sendTest(frank.id, { title: 'During the outage' });
    expect(sent.status).toBe(201);
    const repository = createNotificationsRepository(server.parts.databases.prod.db);
    const [delivery] = await repository.deliveriesOf(sent.body.notification.id);
    const jobId = `ndeliver_${delivery?.batchId}`;
    const failed = await eventually(async () => {
      const job = await server.parts.jobs.get(jobId);
      expect(job?.lastError?.message).toContain('421');
      return job;
    });
    expect(failed?.status).not.toBe('dead');
    expect(smtp.refused).toBeGreaterThan(0);

    smtp.setAvailable(true);
    await eventually(async () => expect((await server.parts.jobs.get(jobId))?.status).toBe('completed'));
    await smtp.waitForMail((candidate) => candidate.to.includes(email));
    expect(smtp.mails.filter((mail) => mail.to.includes(email))).toHaveLength(1);
    const [after] = await repository.deliveriesOf(sent.body.notification.id);
    expect(after).toMatchObject({ status: 'sent', lastError: null });
    expect(after?.attempts).toBeGreaterThanOrEqual(2);

    // Running the job again (a redelivery) sends nothing twice.
    const rerun = await server.parts.notifications.deliverBatch(
      'prod',
      'email',
      delivery?.batchId ?? '',
      new AbortController().signal,
    );
    expect(rerun).toEqual({ sent: 0, skipped: 0 });
    expect(smtp.mails.filter((mail) => mail.to.includes(email))).toHaveLength(1);
  });
});

describe('notifications: in-app', () => {
  it('pushes a new notification and the unread count to the user’s open stream', async () => {
    const bob = await signUpUser(server.url, 'bob');
    const response = await bob.browser.get('/api/notifications/stream');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const stream = frames(response);
    expect(await next(stream)).toMatchObject({ event: 'unread', data: { unread: 0 } });

    // Another capability calls the service in-process.
    const { notification } = await server.parts.notifications.notify({
      environment: 'prod',
      userId: bob.id,
      kind: 'saved-search.results',
      title: '3 new results for “tide tables”',
      body: 'Harbour office publishes the winter tables',
      link: '/searches/s1',
      data: { searchId: 's1' },
    });
    const live = await next(stream);
    expect(live.event).toBe('notification');
    expect(live.id).toBe(String(notification.sequence));
    expect(live.data).toMatchObject({
      unread: 1,
      notification: {
        id: notification.id,
        title: '3 new results for “tide tables”',
        read: false,
        link: '/searches/s1',
      },
    });

    const read = await bob.browser.post(`/api/notifications/${notification.id}/read`);
    expect(read.status).toBe(200);
    expect((await readJson(read)).read).toBe(true);
    expect(await next(stream)).toMatchObject({ event: 'unread', data: { unread: 0 } });
    await stream.return(undefined);
    await eventually(() => expect(server.parts.notifications.followers()).toBe(0));

    // Resuming after an event id sends what came after it.
    const later = await server.parts.notifications.notify({
      environment: 'prod',
      userId: bob.id,
      kind: 'system.test',
      title: 'Later',
      body: 'While the stream was closed',
    });
    const resumed = frames(
      await bob.browser.request('GET', '/api/notifications/stream', {
        headers: { 'last-event-id': String(notification.sequence) },
      }),
    );
    expect(await next(resumed)).toMatchObject({ event: 'unread', data: { unread: 1 } });
    expect(await next(resumed)).toMatchObject({
      event: 'notification',
      data: { notification: { id: later.notification.id } },
    });
    await resumed.return(undefined);
  });

  it('lists, counts and marks read; another user’s notification is 404, anonymous callers 401', async () => {
    const dave = await signUpUser(server.url, 'dave');
    const eve = await signUpUser(server.url, 'eve');
    const first = (await sendTest(dave.id, { title: 'One' })).body.notification;
    const second = (await sendTest(dave.id, { title: 'Two' })).body.notification;
    const list = await readJson(await dave.browser.get('/api/notifications?limit=10'));
    expect(list.notifications.map((item: Json) => item.title)).toEqual(['Two', 'One']);
    expect(list.unread).toBe(2);
    expect(await readJson(await dave.browser.get('/api/notifications/unread-count'))).toEqual({ unread: 2 });

    for (const path of [`/api/notifications/${first.id}/read`, '/api/notifications/no-such-id/read']) {
      const refused = await eve.browser.post(path);
      expect(refused.status).toBe(404);
      expect((await readJson(refused)).error.code).toBe('SY_ERR_NOT_FOUND');
    }
    expect((await readJson(await eve.browser.get('/api/notifications'))).notifications).toEqual([]);
    expect((await readJson(await dave.browser.get('/api/notifications/unread-count'))).unread).toBe(2);

    const marked = await readJson(await dave.browser.post('/api/notifications/read-all'));
    expect(marked).toEqual({ marked: 2, unread: 0 });
    expect(
      (await readJson(await dave.browser.get('/api/notifications?unread=true'))).notifications.map(
        (item: Json) => item.id,
      ),
    ).not.toContain(second.id);

    for (const path of ['/api/notifications', '/api/notifications/unread-count', '/api/notifications/stream']) {
      expect((await fetch(`${server.url}${path}`)).status).toBe(401);
    }
    expect((await sendTest('no-such-user')).status).toBe(404);
    const user = await server.createKey('prod', { name: 'not an admin' });
    expect((await sendTest(dave.id, {}, user)).status).toBe(403);
  });
});

describe('notifications: preferences and the daily digest', () => {
  it('respects the user’s choices per kind and channel, and sends the day’s notifications as one digest', async () => {
    const carol = await signUpUser(server.url, 'carol');
    const email = await emailOf(carol.browser);
    const put = (body: unknown) => carol.browser.request('PUT', '/api/notifications/preferences', { body });
    const refused = await put({ preferences: [{ kind: 'system.test', channel: 'in_app', delivery: 'daily' }] });
    expect(refused.status).toBe(400);
    expect((await put({ preferences: [{ kind: 'no.such-kind', channel: 'email', delivery: 'off' }] })).status).toBe(
      400,
    );
    expect((await put({ whatsappNumber: '12345' })).status).toBe(400);
    const saved = await put({
      preferences: [
        { kind: 'system.test', channel: 'in_app', delivery: 'off' },
        { kind: 'system.test', channel: 'email', delivery: 'daily' },
      ],
      whatsappNumber: '+15551234567',
    });
    expect(saved.status).toBe(200);
    const body = await readJson(saved);
    expect(body.kinds.find((kind: Json) => kind.kind === 'system.test').channels).toEqual({
      in_app: 'off',
      email: 'daily',
      whatsapp: 'off',
    });
    expect(body.available).toEqual(['in_app', 'email']);
    expect(body.whatsappNumber).toBe('+15551234567');

    const one = await sendTest(carol.id, { title: 'Morning tide' });
    const two = await sendTest(carol.id, { title: 'Evening tide' });
    expect(one.body.deliveries).toEqual([{ channel: 'email', status: 'digest' }]);
    expect(two.body.deliveries).toEqual([{ channel: 'email', status: 'digest' }]);
    // In-app is off for this kind: nothing listed, nothing unread.
    expect(await readJson(await carol.browser.get('/api/notifications'))).toMatchObject({
      notifications: [],
      unread: 0,
    });
    expect(smtp.mails.filter((mail) => mail.to.includes(email))).toEqual([]);

    // The scheduler runs this job daily; here it is queued by hand.
    const digest = await server.parts.jobs.enqueue(
      'notifications.digest',
      { environment: 'prod' },
      { environment: 'prod' },
    );
    const mail = await smtp.waitForMail((candidate) => candidate.to.includes(email));
    expect(mail.subject).toBe('Your Switchyard digest: 2 notifications');
    expect(mail.text).toContain('Morning tide');
    expect(mail.text).toContain('Evening tide');
    expect(mail.html).toContain('Evening tide');
    await eventually(async () => expect((await server.parts.jobs.get(digest.id))?.status).toBe('completed'));
    expect((await server.parts.jobs.get(digest.id))?.result).toMatchObject({ batches: 1 });
  });
});

describe('notifications: from events', () => {
  it("turns a saved search's new results into one notification per event, however often it is handled", async () => {
    const grace = await signUpUser(server.url, 'grace');
    const found = (userId: string) => ({
      searchId: 'search-1',
      userId,
      runId: 'run-1',
      name: 'Rust jobs',
      query: 'rust jobs berlin',
      newResults: 1,
      results: [{ title: 'Rust engineer', url: 'https://jobs.example/1', snippet: 'Berlin' }],
      channels: ['in_app'],
    });
    // The server's own `notifications` group maps the event (no subscription made by the test).
    const event = await server.parts.events.publish('SavedSearchResultsFound', found(grace.id), {
      environment: 'prod',
    });
    const listed = await eventually(async () => {
      const list = await readJson(await grace.browser.get('/api/notifications'));
      expect(list.notifications).toHaveLength(1);
      return list.notifications[0];
    });
    expect(listed).toMatchObject({
      title: '1 new result for “Rust jobs”',
      body: 'Rust engineer\nhttps://jobs.example/1',
      kind: 'saved-search.results',
    });
    // A handler retried after it stored the notification stores nothing new.
    const repeated = await server.parts.notifications.notify({
      environment: 'prod',
      userId: grace.id,
      kind: 'saved-search.results',
      title: listed.title,
      body: listed.body,
      key: `event:${event.id}:0`,
    });
    expect(repeated.created).toBe(false);
    expect(repeated.notification.id).toBe(listed.id);

    // A user who is gone: handled (not retried into a dead letter), nothing stored.
    const handled = new Promise<string>((resolve) => {
      const stop = server.parts.events.onActivity((activity) => {
        if (
          activity.type === 'handled' &&
          activity.group === 'notifications' &&
          (activity.event.payload as { userId?: string }).userId === 'a-deleted-user'
        ) {
          stop();
          resolve(activity.event.id);
        }
      });
    });
    const gone = await server.parts.events.publish('SavedSearchResultsFound', found('a-deleted-user'), {
      environment: 'prod',
    });
    expect(await handled).toBe(gone.id);
  });
});
