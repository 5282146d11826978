import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { readEvents, signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { settledFile, uploadFile } from '../testing/upload';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.destroy();
});

interface Owned {
  chatId: string;
  messageId: string;
  templateId: string;
  fileId: string;
  keyId: string;
  sessionId: string;
  notificationId: string;
}

/** Everything a user can own that a route addresses by id. */
async function createEverything(browser: Browser): Promise<Owned> {
  const chat = await readJson(await browser.post('/api/chats', { title: 'owned chat' }));
  const message = await readJson(
    await browser.post(`/api/chats/${chat.id}/messages`, { role: 'user', content: 'owned' }),
  );
  const template = await readJson(await browser.post('/api/templates', { name: 'owned', body: 'Hi {{name}}' }));
  const upload = await uploadFile(server.url, browser, 'owned.txt', Buffer.from('owned file text'));
  const file = await settledFile(browser, (await readJson(upload)).id);
  const key = await readJson(await browser.post('/api/keys', { name: 'owned key', environment: 'prod' }));
  const session = await readJson(await browser.post('/api/chat/start', { chatId: chat.id, message: 'owned question' }));
  await readEvents(await browser.get(`/api/chat/stream?sessionId=${session.sessionId}`));
  const me = await readJson(await browser.get('/api/me'));
  const { notification } = await server.parts.notifications.notify({
    environment: 'prod',
    userId: me.id,
    kind: 'system.test',
    title: 'owned notification',
    body: 'owned',
  });
  return {
    chatId: chat.id,
    messageId: message.id,
    templateId: template.id,
    fileId: file.id,
    keyId: key.record.id,
    sessionId: session.sessionId,
    notificationId: notification.id,
  };
}

/** Every route that takes an id, as the other user would call it with the owner's ids. */
function attempts(ids: Owned): Array<[string, string, unknown?]> {
  return [
    ['GET', `/api/chats/${ids.chatId}`],
    ['PATCH', `/api/chats/${ids.chatId}`, { title: 'taken over' }],
    ['GET', `/api/chats/${ids.chatId}/messages`],
    ['POST', `/api/chats/${ids.chatId}/messages`, { role: 'user', content: 'injected' }],
    ['DELETE', `/api/chats/${ids.chatId}/messages/${ids.messageId}`],
    ['GET', `/api/chats/${ids.chatId}/export`],
    ['GET', `/api/chats/${ids.chatId}/export?format=markdown`],
    ['POST', `/api/chats/${ids.chatId}/share`],
    ['DELETE', `/api/chats/${ids.chatId}/share`],
    ['GET', `/api/templates/${ids.templateId}`],
    ['PATCH', `/api/templates/${ids.templateId}`, { body: 'taken over' }],
    ['POST', `/api/templates/${ids.templateId}/render`, { variables: { name: 'x' } }],
    ['GET', `/api/files/${ids.fileId}`],
    ['GET', `/api/files/${ids.fileId}/text`],
    ['GET', `/api/files/${ids.fileId}/content`],
    ['DELETE', `/api/keys/${ids.keyId}`],
    ['GET', `/api/chat/stream?sessionId=${ids.sessionId}`],
    ['POST', '/api/chat/stop', { sessionId: ids.sessionId }],
    ['POST', `/api/notifications/${ids.notificationId}/read`],
    ['POST', '/api/chat/start', { chatId: ids.chatId, message: 'injected' }],
    ['POST', '/api/chat/start', { message: 'x', templateId: ids.templateId, variables: { name: 'x' } }],
    ['POST', '/api/chat/start', { message: 'x', attachments: [ids.fileId] }],
    // Destructive ones last, so a failure above is not hidden by a deleted resource.
    ['DELETE', `/api/files/${ids.fileId}`],
    ['DELETE', `/api/templates/${ids.templateId}`],
    ['DELETE', `/api/chats/${ids.chatId}`],
  ];
}

describe('ownership matrix: two users, every route that takes an id', () => {
  it("answers 404 to every cross-user read or write and leaves the owner's data untouched", async () => {
    const alice = await signUpUser(server.url, 'alice');
    const bob = await signUpUser(server.url, 'bob');
    const owned = { alice: await createEverything(alice.browser), bob: await createEverything(bob.browser) };

    const leaks: string[] = [];
    for (const [attacker, victim] of [
      [bob.browser, owned.alice],
      [alice.browser, owned.bob],
    ] as const) {
      for (const [method, path, body] of attempts(victim)) {
        const response = await attacker.request(method, path, body === undefined ? {} : { body });
        if (response.status !== 404) leaks.push(`${method} ${path} → ${response.status}`);
        await response.body?.cancel();
      }
    }
    expect(leaks).toEqual([]);

    for (const [browser, ids] of [
      [alice.browser, owned.alice],
      [bob.browser, owned.bob],
    ] as const) {
      const chat = await readJson(await browser.get(`/api/chats/${ids.chatId}`));
      expect(chat.title).toBe('owned chat');
      const messages = (await readJson(await browser.get(`/api/chats/${ids.chatId}/messages`))).messages;
      expect(messages.map((message: { content: string }) => message.content)).toEqual([
        'owned',
        'owned question',
        'owned question',
      ]);
      expect((await readJson(await browser.get(`/api/templates/${ids.templateId}`))).body).toBe('Hi {{name}}');
      expect((await browser.get(`/api/files/${ids.fileId}/content`)).status).toBe(200);
      const keys = (await readJson(await browser.get('/api/keys'))).keys;
      expect(keys.map((key: { id: string }) => key.id)).toEqual([ids.keyId]);
      const chats = (await readJson(await browser.get('/api/chats'))).chats;
      expect(chats.map((row: { id: string }) => row.id)).toEqual([ids.chatId]);
      const notifications = (await readJson(await browser.get('/api/notifications'))).notifications;
      expect(notifications.map((row: { id: string; read: boolean }) => [row.id, row.read])).toEqual([
        [ids.notificationId, false],
      ]);
    }
  });
});
