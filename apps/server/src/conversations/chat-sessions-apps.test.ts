import { type FakeOpenAIServer, startFakeOpenAI, testMcpServerPath } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { readEvents, signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

type Message = { role: string; content: unknown };
const firstUserText = (request: Record<string, unknown>) =>
  String((request.messages as Message[]).find((message) => message.role === 'user')?.content ?? '');

/** Asked to "add", the model calls the add skill once ("bad": with a wrong input); with the result, it answers. */
function scriptedCalls(request: Record<string, unknown>) {
  if ((request.messages as Message[]).at(-1)?.role !== 'user') return undefined;
  const text = firstUserText(request);
  if (text.includes('draw'))
    return [{ name: 'images__generate', arguments: { prompt: 'a [tiny] cat', size: '512x512' } }];
  if (text.includes('slow')) return [{ name: 'clock__slow', arguments: { ms: 60_000 } }];
  if (text.includes('bad')) return [{ name: 'clock__add', arguments: { a: 'two', b: 3 } }];
  if (text.includes('add')) return [{ name: 'clock__add', arguments: { a: 2, b: 3 } }];
  return undefined;
}

function scriptedReply(request: Record<string, unknown>): string {
  const messages = request.messages as Message[];
  const results = messages.filter((message) => message.role === 'tool');
  const system = messages.find((message) => message.role === 'system');
  const prefix = system ? `[${String(system.content)}] ` : '';
  if (firstUserText(request).includes('draw')) return 'Here is your picture.';
  return `${prefix}${results.length > 0 ? `The sum is ${results.map((message) => message.content).join(', ')}` : 'no tools'}`;
}

let server: TestServer;
let upstream: FakeOpenAIServer;
let alice: Browser;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ toolCalls: scriptedCalls, reply: scriptedReply });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
      apps: [
        {
          id: 'clock',
          type: 'mcp',
          command: [process.execPath, testMcpServerPath],
          focusModes: [{ id: 'maths', name: 'Maths', systemPrompt: 'You add numbers.', skills: ['add'] }],
        },
      ],
    },
  });
  alice = (await signUpUser(server.url, 'tooluser')).browser;
});

afterAll(async () => {
  await server?.destroy();
  await upstream?.close();
});

async function start(body: Record<string, unknown>) {
  const response = await alice.post('/api/chat/start', { model: 'smart', ...body });
  expect(response.status, await response.clone().text()).toBe(201);
  return readJson(response) as Promise<{ sessionId: string; chatId: string; messageId: string }>;
}

async function answerOf(chatId: string) {
  const { messages } = await readJson(await alice.get(`/api/chats/${chatId}/messages`));
  return (messages as Array<Record<string, unknown>>).find((message) => message.role === 'assistant');
}

describe('web chat sessions with apps', () => {
  it('streams each skill call and result, then the answer, and stores the steps with the answer', async () => {
    const { sessionId, chatId, messageId } = await start({ message: 'please add', apps: ['clock'] });
    const events = await readEvents(await alice.get(`/api/chat/stream?sessionId=${sessionId}`));
    expect(events.map((event) => event.event)).toEqual(['start', 'tool_call', 'tool_result', 'delta', 'done']);
    expect(events[1]?.data).toMatchObject({ type: 'tool_call', app: 'clock', skill: 'add', input: { a: 2, b: 3 } });
    expect(events[2]?.data).toMatchObject({
      type: 'tool_result',
      app: 'clock',
      skill: 'add',
      output: '5',
      is_error: false,
    });
    expect((events[2]?.data as { duration_ms?: number } | undefined)?.duration_ms).toBeGreaterThanOrEqual(0);
    expect(events[3]?.data).toEqual({ content: 'The sum is 5' });
    expect(events.at(-1)?.data).toMatchObject({ status: 'complete', messageId });

    // A reload reads the steps back from the stored answer (done is written after the row).
    const answer = await answerOf(chatId);
    expect(answer).toMatchObject({ id: messageId, content: 'The sum is 5', status: 'complete' });
    expect(answer?.toolSteps).toEqual([
      {
        id: (events[1]?.data as { id?: string } | undefined)?.id,
        app: 'clock',
        skill: 'add',
        input: { a: 2, b: 3 },
        output: '5',
        isError: false,
        durationMs: expect.any(Number),
      },
    ]);
  });

  it("applies a focus mode's system prompt and skills, and stores a failed skill as an error step", async () => {
    const before = upstream.requests.length;
    const { sessionId, chatId } = await start({ message: 'bad add', focus: 'maths' });
    const events = await readEvents(await alice.get(`/api/chat/stream?sessionId=${sessionId}`));
    const first = upstream.requests[before]?.body as {
      tools: Array<{ function: { name: string } }>;
      messages: Message[];
    };
    expect(first.tools.map((tool) => tool.function.name)).toEqual(['clock__add']);
    expect(first.messages[0]).toEqual({ role: 'system', content: 'You add numbers.' });
    expect(events.find((event) => event.event === 'tool_result')?.data).toMatchObject({ is_error: true });
    const answer = await answerOf(chatId);
    expect(answer?.toolSteps).toEqual([
      expect.objectContaining({ skill: 'add', isError: true, output: expect.stringContaining('SY_ERR_VALIDATION') }),
    ]);
  });

  it('stops in the middle of a skill call: the answer ends stopped and the step is stored without output', async () => {
    const { sessionId, chatId } = await start({ message: 'slow please', apps: ['clock'] });
    let stopped = false;
    const events = await readEvents(await alice.get(`/api/chat/stream?sessionId=${sessionId}`), (seen) => {
      if (!stopped && seen.at(-1)?.event === 'tool_call') {
        stopped = true;
        void alice.post('/api/chat/stop', { sessionId });
      }
      return seen.at(-1)?.event === 'done';
    });
    expect(events.map((event) => event.event)).toEqual(['start', 'tool_call', 'done']);
    expect(events.at(-1)?.data).toMatchObject({ status: 'stopped' });
    const answer = await answerOf(chatId);
    expect(answer).toMatchObject({ status: 'partial', error: 'stopped by the user' });
    expect(answer?.toolSteps).toEqual([expect.objectContaining({ skill: 'slow', output: null, durationMs: null })]);
  });

  it('links an image the images app makes to the chat and shows it in the stored answer', async () => {
    const { sessionId, chatId } = await start({ message: 'draw a cat', apps: ['images'] });
    const events = await readEvents(await alice.get(`/api/chat/stream?sessionId=${sessionId}`));
    expect(events.find((event) => event.event === 'tool_result')?.data).toMatchObject({ is_error: false });
    const answer = await answerOf(chatId);
    const path = /\/v1\/image\/(img_[a-z0-9]+)\/content/.exec(String(answer?.content))?.[0];
    // The model did not include the image: it is added, inline, by its same-origin path.
    expect(answer?.content).toBe(`Here is your picture.\n\n![a tiny cat](${path})`);
    expect((await alice.get(String(path))).headers.get('content-type')).toBe('image/png');
    const { images } = await readJson(await alice.get('/api/images'));
    expect(images).toEqual([expect.objectContaining({ prompt: 'a [tiny] cat', chatId, url: path })]);
  });

  it('answers without steps when no app is chosen, and lists the apps for the signed-in user', async () => {
    const { sessionId, chatId } = await start({ message: 'hello' });
    const events = await readEvents(await alice.get(`/api/chat/stream?sessionId=${sessionId}`));
    expect(events.some((event) => event.event === 'tool_call')).toBe(false);
    expect((await answerOf(chatId))?.toolSteps).toEqual([]);

    const listed = await alice.get('/api/apps');
    expect(listed.status).toBe(200);
    const { apps } = await readJson(listed);
    // The configured app (the built-in ones are listed too).
    expect(apps.filter((app: { kind: string }) => app.kind !== 'builtin')).toEqual([
      expect.objectContaining({
        id: 'clock',
        status: 'ok',
        focus_modes: [expect.objectContaining({ id: 'maths', name: 'Maths', skills: ['add'] })],
      }),
    ]);
    expect((await alice.fresh().get('/api/apps')).status).toBe(401);
  });

  it('refuses an unknown app or focus mode with 404 before storing anything', async () => {
    const unknownApp = await alice.post('/api/chat/start', { model: 'smart', message: 'x', apps: ['nope'] });
    expect(unknownApp.status).toBe(404);
    expect((await readJson(unknownApp)).error.code).toBe('SY_ERR_APP_NOT_FOUND');
    const unknownFocus = await alice.post('/api/chat/start', { model: 'smart', message: 'x', focus: 'nope' });
    expect(unknownFocus.status).toBe(404);
    expect((await readJson(unknownFocus)).error.code).toBe('SY_ERR_FOCUS_NOT_FOUND');
    const chats = await readJson(await alice.get('/api/chats'));
    expect(chats.chats.map((chat: { title: string }) => chat.title)).not.toContain('x');
  });
});
