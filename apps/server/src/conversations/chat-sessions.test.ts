import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, type FakeUpstreamServer, startFakeOpenAI } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { deltaText, readEvents, signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let alice: Browser;
let upstream: FakeUpstreamServer;

// `slow` answers one word every 40 ms, slow enough to stop or hang up in the middle.
const chatConfig = (upstreamUrl: string) => ({
  ollama: { autodetect: false },
  providers: [
    { id: 'slow-echo', type: 'echo', echoDelayMs: 40 },
    { id: 'flaky', type: 'openai-compatible', baseURL: upstreamUrl },
  ],
  models: [
    { id: 'slow', provider: 'slow-echo' },
    { id: 'flaky', provider: 'flaky', upstreamModel: 'fake-model' },
  ],
});

const longMessage = Array.from({ length: 30 }, (_unused, index) => `word${index}`).join(' ');

beforeAll(async () => {
  upstream = await startFakeOpenAI({ models: ['fake-model'], chunkDelayMs: 20 });
  server = await startTestServer({ config: chatConfig(upstream.url) });
  alice = (await signUpUser(server.url, 'streamer')).browser;
});

afterAll(async () => {
  await server?.destroy();
  await upstream?.close();
});

async function start(browser: Browser, body: Record<string, unknown>) {
  const response = await browser.post('/api/chat/start', body);
  expect(response.status, await response.clone().text()).toBe(201);
  return readJson(response) as Promise<{ sessionId: string; chatId: string; messageId: string }>;
}

function stream(browser: Browser, sessionId: string, lastEventId?: number) {
  return browser.request('GET', `/api/chat/stream?sessionId=${sessionId}`, {
    headers: lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) },
  });
}

async function messagesOf(browser: Browser, chatId: string) {
  return (await readJson(await browser.get(`/api/chats/${chatId}/messages`))).messages as Array<{
    id: string;
    role: string;
    content: string;
    status: string;
    completionTokens: number | null;
  }>;
}

/** The answer is stored a moment after the last event; poll for it instead of sleeping a fixed time. */
async function assistantMessage(browser: Browser, chatId: string) {
  return eventually(async () => {
    const found = (await messagesOf(browser, chatId)).find((message) => message.role === 'assistant');
    if (!found) throw new Error('no assistant message was stored');
    return found;
  });
}

describe('streaming chat (seed 004)', () => {
  it('stores the question, streams the answer with event ids and stores it, titling the new chat', async () => {
    const { sessionId, chatId, messageId } = await start(alice, { model: 'slow', message: 'hello streaming world' });
    const response = await stream(alice, sessionId);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEvents(response);
    expect(events[0]).toMatchObject({ id: 1, event: 'start', data: { chatId, messageId, model: 'slow' } });
    expect(events.map((event) => event.id)).toEqual(events.map((_event, index) => index + 1));
    expect(deltaText(events)).toBe('hello streaming world');
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete', messageId } });

    const messages = await messagesOf(alice, chatId);
    expect(messages.map((message) => [message.role, message.content])).toEqual([
      ['user', 'hello streaming world'],
      ['assistant', 'hello streaming world'],
    ]);
    expect(messages[1]).toMatchObject({ id: messageId, status: 'complete' });
    expect((await readJson(await alice.get(`/api/chats/${chatId}`))).title).toBe('hello streaming world');
  });

  it('stop mid-way keeps the partial answer', async () => {
    const { sessionId, chatId } = await start(alice, { model: 'slow', message: longMessage });
    const response = await stream(alice, sessionId);
    let stopped = false;
    const events = await readEvents(response, (seen) => {
      if (!stopped && seen.filter((event) => event.event === 'delta').length === 3) {
        stopped = true;
        void alice.post('/api/chat/stop', { sessionId });
      }
      return seen.at(-1)?.event === 'done';
    });
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'stopped' } });
    const partial = deltaText(events);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(longMessage.length);
    const stored = await assistantMessage(alice, chatId);
    expect(stored).toMatchObject({ status: 'partial', content: partial });
  });

  it('keeps the partial answer when the upstream fails mid-way', async () => {
    upstream.setBehaviour({ kind: 'cut-stream', afterChunks: 4 });
    try {
      const { sessionId, chatId } = await start(alice, { model: 'flaky', message: longMessage });
      const events = await readEvents(await stream(alice, sessionId));
      expect(events.at(-2)).toMatchObject({ event: 'error' });
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'failed' } });
      const partial = deltaText(events);
      expect(partial.length).toBeGreaterThan(0);
      const stored = await assistantMessage(alice, chatId);
      expect(stored).toMatchObject({ status: 'partial', content: partial });
    } finally {
      upstream.setBehaviour({ kind: 'ok' });
    }
  });

  it('keeps generating after the client hangs up, and Last-Event-ID resumes without loss or duplication', async () => {
    const { sessionId, chatId } = await start(alice, { model: 'slow', message: longMessage });
    const first = await readEvents(await stream(alice, sessionId), (seen) => seen.length === 5);
    expect(first.map((event) => event.id)).toEqual([1, 2, 3, 4, 5]);
    await sleep(200);
    const rest = await readEvents(await stream(alice, sessionId, 5));
    expect(rest[0]?.id).toBe(6);
    const all = [...first, ...rest];
    expect(all.map((event) => event.id)).toEqual(all.map((_event, index) => index + 1));
    expect(deltaText(all)).toBe(longMessage);
    expect((await assistantMessage(alice, chatId)).content).toBe(longMessage);

    // A finished session still replays from any point.
    const replay = await readEvents(await stream(alice, sessionId, all.length - 1));
    expect(replay.map((event) => event.event)).toEqual(['done']);
  });

  it('continues an existing chat with its history and fills templates', async () => {
    const { chatId } = await start(alice, { model: 'slow', message: 'first turn' });
    await assistantMessage(alice, chatId);
    const template = await readJson(
      await alice.post('/api/templates', { name: 'Ask', body: 'Explain {{topic}}: {{message}}' }),
    );
    const missing = await alice.post('/api/chat/start', { chatId, message: 'briefly', templateId: template.id });
    expect(missing.status).toBe(400);
    const { sessionId } = await start(alice, {
      chatId,
      message: 'briefly',
      templateId: template.id,
      variables: { topic: 'tides' },
    });
    const events = await readEvents(await stream(alice, sessionId));
    expect(deltaText(events)).toBe('Explain tides: briefly');
    const messages = await messagesOf(alice, chatId);
    expect(messages.map((message) => message.content)).toEqual([
      'first turn',
      'first turn',
      'Explain tides: briefly',
      'Explain tides: briefly',
    ]);
  });

  it("refuses another user's chat, session and stop, and unknown models", async () => {
    const { sessionId, chatId } = await start(alice, { model: 'slow', message: 'private' });
    const { browser: mallory } = await signUpUser(server.url, 'mallory');
    expect((await mallory.post('/api/chat/start', { chatId, message: 'x' })).status).toBe(404);
    expect((await stream(mallory, sessionId)).status).toBe(404);
    expect((await mallory.post('/api/chat/stop', { sessionId })).status).toBe(404);
    expect((await alice.post('/api/chat/start', { model: 'nope', message: 'x' })).status).toBe(404);
    expect((await fetch(`${server.url}/api/chat/stream?sessionId=${sessionId}`)).status).toBe(401);
    await readEvents(await stream(alice, sessionId));
  });
});
