import { createServerModeEnvironment, type ServerModeEnvironment, serverModeAvailable } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const available = await serverModeAvailable('notification server mode tests');

/** The frames of an SSE response as they arrive. */
async function* frames(response: Response): AsyncGenerator<{ event: string; data: Record<string, unknown> }> {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let boundary = buffer.indexOf('\n\n'); boundary >= 0; boundary = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const line = (name: string) => block.split('\n').find((entry) => entry.startsWith(`${name}: `));
        const data = line('data');
        if (data) yield { event: line('event')?.slice(7) ?? 'message', data: JSON.parse(data.slice(6)) };
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

describe.skipIf(!available)('notifications in server mode: two API processes on PostgreSQL and Redis', () => {
  let environment: ServerModeEnvironment | undefined;
  let serverA: TestServer;
  let serverB: TestServer;

  beforeAll(async () => {
    environment = await createServerModeEnvironment();
    serverA = await startTestServer({ variables: environment.variables, role: 'api' });
    serverB = await startTestServer({ variables: environment.variables, role: 'api' });
  }, 120_000);

  afterAll(async () => {
    await serverA?.destroy();
    await serverB?.destroy();
    await environment?.drop();
  });

  it('streams a notification created through one process to the user following on another', async () => {
    const user = await signUpUser(serverA.url, 'hedy');
    // The same session on process B (GET needs no Origin).
    const onB = createBrowser(serverB.url);
    for (const [name, value] of user.browser.cookies) onB.cookies.set(name, value);
    const response = await onB.get('/api/notifications/stream');
    expect(response.status).toBe(200);
    const stream = frames(response);
    expect((await stream.next()).value).toMatchObject({ event: 'unread', data: { unread: 0 } });

    const admin = await serverA.createKey('prod', { admin: true });
    const sent = await fetch(`${serverA.url}/v1/admin/notifications/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: user.id, title: 'From process A' }),
    });
    expect(sent.status).toBe(201);
    const id = (await readJson(sent)).notification.id;
    expect((await stream.next()).value).toMatchObject({
      event: 'notification',
      data: { unread: 1, notification: { id, title: 'From process A' } },
    });

    // Read on A: B's stream hears the count drop.
    expect((await user.browser.post(`/api/notifications/${id}/read`)).status).toBe(200);
    expect((await stream.next()).value).toMatchObject({ event: 'unread', data: { unread: 0 } });
    await stream.return(undefined);
  });
});
