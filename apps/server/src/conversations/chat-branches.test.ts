import { type FakeUpstreamServer, startFakeOpenAI } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { readEvents, signUpUser } from '../testing/chat-client';
import { makeTextPng } from '../testing/documents';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { settledFile, uploadFile } from '../testing/upload';

/**
 * Branching (regenerate and edit keep versions), comparisons, per-chat system prompt and parameters,
 * presets, assistants and vision content parts, against one server whose models answer through a
 * fake OpenAI upstream that records what it is sent.
 */
let server: TestServer;
let alice: Browser;
let bob: Browser;
let upstream: FakeUpstreamServer;

interface Message {
  id: string;
  role: string;
  content: string;
  parentId: string | null;
  siblingIds: string[];
  siblingIndex: number;
  siblingCount: number;
  attachments: string[];
}

beforeAll(async () => {
  upstream = await startFakeOpenAI({ models: ['plain-model', 'eyes-model'] });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
      models: [
        { id: 'plain', provider: 'fake', upstreamModel: 'plain-model' },
        { id: 'eyes', provider: 'fake', upstreamModel: 'eyes-model', vision: true },
        { id: 'words', provider: 'echo' },
      ],
    },
  });
  alice = (await signUpUser(server.url, 'brancher')).browser;
  bob = (await signUpUser(server.url, 'intruder')).browser;
});

afterAll(async () => {
  await server?.destroy();
  await upstream?.close();
});

type Started = {
  sessionId: string;
  chatId: string;
  messageId: string;
  userMessageId: string;
  sessions: Array<{ sessionId: string; messageId: string; model: string }>;
};

async function start(body: Record<string, unknown>, browser = alice): Promise<Started> {
  const response = await browser.post('/api/chat/start', body);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await readJson(response)) as Started;
}

/** Starts an answer and reads its stream to the end (the answer is stored just before `done`). */
async function answer(body: Record<string, unknown>): Promise<Started> {
  const started = await start(body);
  for (const session of started.sessions) {
    await readEvents(await alice.get(`/api/chat/stream?sessionId=${session.sessionId}`));
  }
  return started;
}

async function branch(chatId: string): Promise<Message[]> {
  return (await readJson(await alice.get(`/api/chats/${chatId}/messages?limit=500`))).messages as Message[];
}

const upstreamBodies = () =>
  upstream.requests
    .filter((request) => request.path.endsWith('/chat/completions'))
    .map(
      (request) =>
        request.body as { model: string; messages: Array<{ role: string; content: unknown }> } & Record<
          string,
          unknown
        >,
    );

describe('branching', () => {
  it('keeps every version of a regenerated answer and an edited question, with a switcher between them', async () => {
    const first = await answer({ model: 'words', message: 'one two' });
    const chatId = first.chatId;
    await answer({ chatId, message: 'three four' });
    let shown = await branch(chatId);
    expect(shown.map((message) => message.content)).toEqual(['one two', 'one two', 'three four', 'three four']);
    expect(shown.every((message) => message.siblingCount === 1)).toBe(true);
    const secondQuestion = shown[2] as Message;
    const firstAnswer = shown[3] as Message;

    // Regenerate: a new answer to the same question, beside the first.
    const regenerated = await answer({ chatId, answerTo: secondQuestion.id, model: 'plain' });
    expect(regenerated.userMessageId).toBe(secondQuestion.id);
    shown = await branch(chatId);
    expect(shown).toHaveLength(4);
    expect(shown[3]).toMatchObject({
      id: regenerated.messageId,
      parentId: secondQuestion.id,
      siblingIds: [firstAnswer.id, regenerated.messageId],
      siblingIndex: 1,
      siblingCount: 2,
    });

    // Edit: the new question is a sibling of the old one; the old one and its answers are kept.
    const edited = await answer({ chatId, parentId: secondQuestion.parentId, message: 'five six', model: 'words' });
    shown = await branch(chatId);
    expect(shown.map((message) => message.content)).toEqual(['one two', 'one two', 'five six', 'five six']);
    expect(shown[2]).toMatchObject({ id: edited.userMessageId, siblingIndex: 1, siblingCount: 2 });

    // Switching back to the first question shows its newest answer (the regenerated one).
    const switched = await alice.post(`/api/chats/${chatId}/branch`, { messageId: secondQuestion.id });
    expect(switched.status).toBe(200);
    const after = (await readJson(switched)).messages as Message[];
    expect(after.map((message) => message.id)).toEqual([
      shown[0]?.id,
      shown[1]?.id,
      secondQuestion.id,
      regenerated.messageId,
    ]);
    expect((await branch(chatId)).map((message) => message.id)).toEqual(after.map((message) => message.id));
    expect((await readJson(await alice.get(`/api/chats/${chatId}`))).activeLeafId).toBe(regenerated.messageId);

    // The history sent with a regenerated answer is its own branch, not the other versions.
    const sent = upstreamBodies().find((body) => body.messages.some((message) => message.content === 'three four'));
    expect(sent?.messages.map((message) => message.content)).toEqual(['one two', 'one two', 'three four']);
  });

  it('refuses another user’s chat, a message of another chat and an answerTo that is not a question', async () => {
    const { chatId, messageId } = await answer({ model: 'words', message: 'private words' });
    expect((await bob.post(`/api/chats/${chatId}/branch`, { messageId })).status).toBe(404);
    expect((await bob.get(`/api/chats/${chatId}/messages`)).status).toBe(404);
    const other = await answer({ model: 'words', message: 'other chat' });
    const foreign = await alice.post(`/api/chats/${chatId}/branch`, { messageId: other.messageId });
    expect(foreign.status).toBe(404);
    const notQuestion = await alice.post('/api/chat/start', { chatId, answerTo: messageId });
    expect(notQuestion.status).toBe(400);
    expect((await readJson(notQuestion)).error.code).toBe('SY_ERR_VALIDATION');
    const neither = await alice.post('/api/chat/start', { chatId });
    expect(neither.status).toBe(400);
    const bobsTry = await bob.post('/api/chat/start', { chatId, answerTo: messageId });
    expect(bobsTry.status).toBe(404);
  });

  it('pages the branch shown back from its newest message (from=end) with its length, for its owner only', async () => {
    const imported = await alice.post('/api/chats/import', {
      chats: [
        {
          title: 'Paged',
          messages: Array.from({ length: 7 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` })),
        },
      ],
    });
    const chatId = ((await readJson(imported)).chatIds as string[])[0];
    const page = async (query: string) => {
      const response = await alice.get(`/api/chats/${chatId}/messages?${query}`);
      expect(response.status).toBe(200);
      const body = await readJson(response);
      return { ...body, contents: (body.messages as Message[]).map((message) => message.content) };
    };
    expect(await page('from=end&limit=3')).toMatchObject({ contents: ['m4', 'm5', 'm6'], total: 7, from: 'end' });
    expect(await page('from=end&limit=3&offset=3')).toMatchObject({ contents: ['m1', 'm2', 'm3'], offset: 3 });
    expect((await page('from=end&limit=3&offset=6')).contents).toEqual(['m0']);
    expect((await page('from=end&limit=3&offset=9')).contents).toEqual([]);
    expect(await page('limit=2&offset=1')).toMatchObject({ contents: ['m1', 'm2'], total: 7, from: 'start' });
    const wrong = await alice.get(`/api/chats/${chatId}/messages?from=middle`);
    expect(wrong.status).toBe(400);
    expect((await readJson(wrong)).error.code).toBe('SY_ERR_VALIDATION');
    expect((await bob.get(`/api/chats/${chatId}/messages?from=end&limit=3`)).status).toBe(404);
  });

  it('deleting a question takes its answers with it and the branch ends before it', async () => {
    const first = await answer({ model: 'words', message: 'keep this' });
    const second = await answer({ chatId: first.chatId, message: 'drop this' });
    const removed = await alice.request('DELETE', `/api/chats/${first.chatId}/messages/${second.userMessageId}`);
    expect(removed.status).toBe(204);
    const shown = await branch(first.chatId);
    expect(shown.map((message) => message.id)).toEqual([first.userMessageId, first.messageId]);
    const next = await answer({ chatId: first.chatId, message: 'after' });
    expect((await branch(first.chatId)).at(-2)).toMatchObject({ id: next.userMessageId, parentId: first.messageId });
  });
});

describe('compare', () => {
  it('answers one question with two models, the answers being versions; the kept one continues', async () => {
    const started = await answer({ models: ['words', 'plain'], message: 'compare me' });
    expect(started.sessions.map((session) => session.model)).toEqual(['words', 'plain']);
    const shown = await branch(started.chatId);
    expect(shown).toHaveLength(2);
    const answerRow = shown[1] as Message;
    expect(answerRow.siblingCount).toBe(2);
    expect([...answerRow.siblingIds].sort()).toEqual(started.sessions.map((session) => session.messageId).sort());
    // Keep the second model's answer and continue from it.
    const kept = started.sessions[1]?.messageId as string;
    await alice.post(`/api/chats/${started.chatId}/branch`, { messageId: kept });
    const next = await answer({ chatId: started.chatId, message: 'go on', model: 'words' });
    const after = await branch(started.chatId);
    expect(after.map((message) => message.id)).toEqual([
      started.userMessageId,
      kept,
      next.userMessageId,
      next.messageId,
    ]);
  });

  it('refuses model together with models, and more than three', async () => {
    expect(
      (await alice.post('/api/chat/start', { model: 'words', models: ['words', 'plain'], message: 'x' })).status,
    ).toBe(400);
    expect(
      (await alice.post('/api/chat/start', { models: ['words', 'plain', 'eyes', 'words2'], message: 'x' })).status,
    ).toBe(400);
  });
});

describe('system prompt, parameters and presets', () => {
  it('sends the chat’s system prompt and parameters upstream and keeps them on the chat', async () => {
    const started = await answer({
      model: 'plain',
      message: 'with settings',
      systemPrompt: 'Answer like a pirate.',
      parameters: { temperature: 0.3, topP: 0.9, maxTokens: 77 },
    });
    const chat = await readJson(await alice.get(`/api/chats/${started.chatId}`));
    expect(chat).toMatchObject({
      systemPrompt: 'Answer like a pirate.',
      parameters: { temperature: 0.3, topP: 0.9, maxTokens: 77 },
    });
    const sent = upstreamBodies().find((body) => body.messages.some((message) => message.content === 'with settings'));
    expect(sent).toMatchObject({ temperature: 0.3, top_p: 0.9, max_tokens: 77 });
    expect(sent?.messages[0]).toEqual({ role: 'system', content: 'Answer like a pirate.' });
    // Changed with PATCH, used by the next answer.
    const patched = await alice.request('PATCH', `/api/chats/${started.chatId}`, {
      body: { parameters: { temperature: 1.5 } },
    });
    expect(patched.status).toBe(200);
    await answer({ chatId: started.chatId, message: 'second settings' });
    const second = upstreamBodies().find((body) =>
      body.messages.some((message) => message.content === 'second settings'),
    );
    expect(second?.temperature).toBe(1.5);
    expect(second?.max_tokens).toBeUndefined();
    const invalid = await alice.request('PATCH', `/api/chats/${started.chatId}`, {
      body: { parameters: { temperature: 9 } },
    });
    expect(invalid.status).toBe(400);
  });

  it('stores presets per user (create, list, change, delete) and hides them from others', async () => {
    const created = await alice.post('/api/presets', {
      name: 'Precise',
      systemPrompt: 'Be exact.',
      model: 'plain',
      parameters: { temperature: 0 },
    });
    expect(created.status).toBe(201);
    const preset = await readJson(created);
    expect(preset).toMatchObject({ name: 'Precise', systemPrompt: 'Be exact.', parameters: { temperature: 0 } });
    expect(preset.userId).toBeUndefined();
    const list = await readJson(await alice.get('/api/presets'));
    expect(list.presets.map((row: { id: string }) => row.id)).toContain(preset.id);
    expect((await readJson(await bob.get('/api/presets'))).presets).toEqual([]);
    expect((await bob.get(`/api/presets/${preset.id}`)).status).toBe(404);
    expect((await bob.request('PATCH', `/api/presets/${preset.id}`, { body: { name: 'Mine' } })).status).toBe(404);
    expect((await bob.request('DELETE', `/api/presets/${preset.id}`)).status).toBe(404);
    const renamed = await readJson(
      await alice.request('PATCH', `/api/presets/${preset.id}`, { body: { name: 'Exact' } }),
    );
    expect(renamed).toMatchObject({ name: 'Exact', systemPrompt: 'Be exact.' });
    expect((await alice.post('/api/presets', { name: '' })).status).toBe(400);
    expect((await alice.post('/api/presets', { name: 'x', userId: 'someone' })).status).toBe(400);
    expect((await alice.request('DELETE', `/api/presets/${preset.id}`)).status).toBe(204);
    expect((await alice.get(`/api/presets/${preset.id}`)).status).toBe(404);
  });
});

describe('assistants', () => {
  it('gives a chat the assistant’s instructions, model and parameters; owned by its user', async () => {
    const created = await alice.post('/api/assistants', {
      name: 'Reviewer',
      instructions: 'You review code.',
      model: 'plain',
      parameters: { temperature: 0.2 },
    });
    expect(created.status).toBe(201);
    const assistant = await readJson(created);
    expect(assistant).toMatchObject({ name: 'Reviewer', projectId: null, apps: [], files: [] });
    expect((await bob.get(`/api/assistants/${assistant.id}`)).status).toBe(404);
    expect((await bob.post('/api/chat/start', { assistantId: assistant.id, message: 'hi' })).status).toBe(404);
    expect((await bob.post('/api/chats', { assistantId: assistant.id })).status).toBe(404);

    const started = await answer({ assistantId: assistant.id, message: 'review this', systemPrompt: 'Be brief.' });
    expect(started.sessions[0]?.model).toBe('plain');
    const sent = upstreamBodies().find((body) => body.messages.some((message) => message.content === 'review this'));
    expect(sent?.messages[0]).toEqual({ role: 'system', content: 'You review code.\n\nBe brief.' });
    expect(sent?.temperature).toBe(0.2);
    expect((await readJson(await alice.get(`/api/chats/${started.chatId}`))).assistantId).toBe(assistant.id);

    // A file of someone else cannot become an assistant's knowledge.
    const upload = await readJson(
      await uploadFile(server.url, bob, 'notes.txt', Buffer.from('bob secret'), 'text/plain'),
    );
    expect(
      (await alice.request('PATCH', `/api/assistants/${assistant.id}`, { body: { files: [upload.id] } })).status,
    ).toBe(404);

    expect((await alice.request('DELETE', `/api/assistants/${assistant.id}`)).status).toBe(204);
    expect((await readJson(await alice.get(`/api/chats/${started.chatId}`))).assistantId).toBeNull();
  });
});

describe('vision', () => {
  it('sends an image attachment to a vision model as an image part and to others as its OCR text', async () => {
    const png = makeTextPng('HELLO');
    const uploaded = await readJson(await uploadFile(server.url, alice, 'picture.png', png, 'image/png'));
    const file = await settledFile(alice, uploaded.id);
    expect(file.status).toBe('ready');
    await answer({ models: ['eyes', 'plain'], message: 'what is this', attachments: [uploaded.id] });
    const bodies = upstreamBodies().filter((body) => JSON.stringify(body.messages).includes('what is this'));
    const toEyes = bodies.find((body) => body.model === 'eyes-model');
    const toPlain = bodies.find((body) => body.model === 'plain-model');
    const eyesQuestion = toEyes?.messages.at(-1)?.content as Array<Record<string, unknown>>;
    expect(eyesQuestion).toEqual([
      { type: 'text', text: 'what is this' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
    ]);
    const plainQuestion = toPlain?.messages.at(-1)?.content;
    expect(typeof plainQuestion).toBe('string');
    expect(plainQuestion).toContain('[Attached file: picture.png]');
    expect(plainQuestion).toContain('what is this');
    const models = await readJson(await alice.get('/v1/chat/models'));
    expect(models.models.find((model: { id: string }) => model.id === 'eyes').vision).toBe(true);
    expect(models.models.find((model: { id: string }) => model.id === 'plain').vision).toBe(false);
  });
});
