import { createServerModeEnvironment, type ServerModeEnvironment, serverModeAvailable } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, createBrowser } from '../testing/browser';
import { deltaText, readEvents, signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const available = await serverModeAvailable('chat session resume across processes');

const config = {
  ollama: { autodetect: false },
  providers: [{ id: 'slow-echo', type: 'echo', echoDelayMs: 40 }],
  models: [{ id: 'slow', provider: 'slow-echo' }],
};
const longMessage = Array.from({ length: 30 }, (_unused, index) => `word${index}`).join(' ');

describe.skipIf(!available)('chat sessions across two API processes sharing Redis', () => {
  let environment: ServerModeEnvironment | undefined;
  let serverA: TestServer;
  let serverB: TestServer;
  let onA: Browser;
  let onB: Browser;

  beforeAll(async () => {
    environment = await createServerModeEnvironment();
    const variables = environment.variables;
    serverA = await startTestServer({ config, variables });
    serverB = await startTestServer({ config, variables });
    onA = (await signUpUser(serverA.url, 'roamer')).browser;
    // The same session cookie, presented to the other process from its own origin.
    onB = createBrowser(serverB.url);
    for (const [name, value] of onA.cookies) onB.cookies.set(name, value);
  }, 120_000);

  afterAll(async () => {
    await serverA?.destroy();
    await serverB?.destroy();
    await environment?.drop();
  });

  it('resumes on another process from Last-Event-ID without loss or duplication', async () => {
    const started = await readJson(await onA.post('/api/chat/start', { model: 'slow', message: longMessage }));
    const first = await readEvents(
      await onA.get(`/api/chat/stream?sessionId=${started.sessionId}`),
      (seen) => seen.length === 4,
    );
    const rest = await readEvents(
      await onB.request('GET', `/api/chat/stream?sessionId=${started.sessionId}`, {
        headers: { 'last-event-id': '4' },
      }),
    );
    const all = [...first, ...rest];
    expect(all.map((event) => event.id)).toEqual(all.map((_event, index) => index + 1));
    expect(deltaText(all)).toBe(longMessage);
    expect(all.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } });
  });

  it('stops from another process and keeps the partial answer', async () => {
    const started = await readJson(await onA.post('/api/chat/start', { model: 'slow', message: longMessage }));
    let stopped = false;
    const events = await readEvents(await onA.get(`/api/chat/stream?sessionId=${started.sessionId}`), (seen) => {
      if (!stopped && seen.length === 3) {
        stopped = true;
        void onB.post('/api/chat/stop', { sessionId: started.sessionId });
      }
      return seen.at(-1)?.event === 'done';
    });
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'stopped' } });
    const partial = deltaText(events);
    expect(partial.length).toBeLessThan(longMessage.length);
    const messages = (await readJson(await onB.get(`/api/chats/${started.chatId}/messages`))).messages;
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', status: 'partial', content: partial });
  });
});
