import { type FakeWhisperCppServer, sineWav, startFakeWhisperCpp } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { deltaText, readEvents, signUpUser } from '../testing/chat-client';
import { type Json, readJson } from '../testing/read-json';
import { setSetting } from '../testing/settings';
import { startTestServer, type TestServer } from '../testing/test-server';
import { settledFile, uploadFile } from '../testing/upload';
import { type AudioPayload, createAudioJobHandler } from './audio-job';
import { purgeExpiredRecordings } from './audio-recordings';

let server: TestServer;
let whisper: FakeWhisperCppServer;
let alice: Browser;
let mallory: Browser;
let adminKey: string;

beforeAll(async () => {
  whisper = await startFakeWhisperCpp({ transcript: () => 'minutes of the long meeting' });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      audioModels: [{ id: 'whisper', type: 'whisper-cpp', baseURL: whisper.url }],
    },
  });
  alice = (await signUpUser(server.url, 'speaker')).browser;
  mallory = (await signUpUser(server.url, 'mallory')).browser;
  adminKey = await server.createKey('prod', { admin: true });
});

afterAll(async () => {
  await server?.destroy();
  await whisper?.close();
});

/** A multipart request from the browser's session, as the chat app's microphone sends it. */
function postAudio(browser: Browser, fields: Record<string, string>, file = sineWav({ seconds: 3 })) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(file)], { type: 'audio/wav' }), 'recording.wav');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const cookie = [...browser.cookies].map(([key, value]) => `${key}=${value}`).join('; ');
  return fetch(`${server.url}/v1/audio/transcriptions`, {
    method: 'POST',
    headers: { cookie, origin: server.url },
    body: form,
  });
}

async function newChat(browser: Browser): Promise<string> {
  const response = await browser.post('/api/chats', { title: 'standup' });
  expect(response.status).toBe(201);
  return (await readJson(response)).id;
}

const messagesOf = async (browser: Browser, chatId: string) =>
  (await readJson(await browser.get(`/api/chats/${chatId}/messages`))).messages as Json[];

/** Waits for the job's event stream to end and returns its status. */
async function finished(browser: Browser, job: Json): Promise<Json> {
  const events = await browser.get(job.events_url);
  await events.text();
  return readJson(await browser.get(job.status_url));
}

async function startChatTranscription(browser: Browser) {
  const chatId = await newChat(browser);
  const accepted = await postAudio(browser, { async: 'true', conversation_id: chatId });
  expect(accepted.status, await accepted.clone().text()).toBe(202);
  const job = await readJson(accepted);
  expect(job.conversation_id).toBe(chatId);
  return { chatId, job: await finished(browser, job) };
}

describe('a long recording from the chat app', () => {
  it('posts the transcript to the chat as the user’s message when the job finishes', async () => {
    const { chatId, job } = await startChatTranscription(alice);
    expect(job).toMatchObject({ status: 'completed', text: 'minutes of the long meeting' });
    const messages = await messagesOf(alice, chatId);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: job.message_id, role: 'user', content: 'minutes of the long meeting' });
  });

  it('posts one message however many times the job runs', async () => {
    const { chatId, job } = await startChatTranscription(alice);
    const record = await server.parts.jobs.get(job.id);
    if (!record) throw new Error('the job is gone');
    const handler = createAudioJobHandler(server.parts);
    for (let attempt = 2; attempt <= 3; attempt += 1) {
      await handler({
        id: job.id,
        name: 'audio.transcribe',
        environment: record.environment,
        payload: record.payload as AudioPayload,
        attempt,
        maxAttempts: 4,
        signal: new AbortController().signal,
        reportProgress: async () => {},
      });
    }
    const messages = await messagesOf(alice, chatId);
    expect(messages.map((message) => message.id)).toEqual([job.message_id]);
  });

  it('answers 404 for another user’s chat or no user, and 400 without async; nothing is stored then', async () => {
    const chatId = await newChat(alice);
    const before = (await readJson(await mallory.get('/v1/audio/recordings'))).data.length;
    const foreign = await postAudio(mallory, { async: 'true', conversation_id: chatId });
    expect(foreign.status).toBe(404);
    expect((await readJson(foreign)).error).toMatchObject({ code: 'SY_ERR_NOT_FOUND', param: 'conversation_id' });
    const key = await server.createKey('prod');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(sineWav({ seconds: 1 }))]), 'a.wav');
    form.append('async', 'true');
    form.append('conversation_id', chatId);
    const anonymousKey = await fetch(`${server.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    expect(anonymousKey.status).toBe(404);
    const waiting = await postAudio(alice, { conversation_id: chatId });
    expect(waiting.status).toBe(400);
    expect((await readJson(waiting)).error).toMatchObject({ code: 'SY_ERR_VALIDATION', param: 'conversation_id' });
    expect((await readJson(await mallory.get('/v1/audio/recordings'))).data).toHaveLength(before);
    expect(await messagesOf(alice, chatId)).toEqual([]);
  });
});

describe('stored recordings', () => {
  it('lists the owner’s recordings and deletes one with its objects; others get 404', async () => {
    const { chatId, job } = await startChatTranscription(alice);
    const list = await readJson(await alice.get('/v1/audio/recordings'));
    const recording = list.data.find((entry: Json) => entry.id === job.id);
    expect(recording).toMatchObject({ object: 'audio.recording', status: 'completed', conversation_id: chatId });
    expect(Date.parse(recording.expires_at) - Date.parse(recording.finished_at)).toBe(7 * 86_400_000);
    const objectKey = `audio/prod/${job.id}/recording`;
    expect(await server.parts.storage.head(objectKey)).toBeDefined();

    expect((await mallory.request('DELETE', `/v1/audio/recordings/${job.id}`)).status).toBe(404);
    expect((await alice.request('DELETE', `/v1/audio/recordings/${job.id}`)).status).toBe(204);
    expect(await server.parts.storage.head(objectKey)).toBeUndefined();
    expect(await server.parts.storage.head(`audio/prod/${job.id}/transcript`)).toBeUndefined();
    const after = await readJson(await alice.get('/v1/audio/recordings'));
    expect(after.data.some((entry: Json) => entry.id === job.id)).toBe(false);
    expect((await alice.request('DELETE', `/v1/audio/recordings/${job.id}`)).status).toBe(404);
    // The message it became stays.
    expect(await messagesOf(alice, chatId)).toHaveLength(1);
  });

  it('is purged once its job finished longer ago than audio.recording_retention_days', async () => {
    const { job } = await startChatTranscription(alice);
    const objectKey = `audio/prod/${job.id}/recording`;
    const finishedAt = Date.parse(job.finished_at);
    const purge = (days: number) =>
      purgeExpiredRecordings({ ...server.parts, clock: { now: () => finishedAt + days * 86_400_000 } });
    await purge(6.9);
    expect(await server.parts.storage.head(objectKey)).toBeDefined();
    expect(await purge(7.1)).toBeGreaterThanOrEqual(1);
    expect(await server.parts.storage.head(objectKey)).toBeUndefined();
    const list = await readJson(await alice.get('/v1/audio/recordings'));
    expect(list.data.some((entry: Json) => entry.id === job.id)).toBe(false);
  });
});

describe('audio attached to a chat message', () => {
  async function attach(browser: Browser, bytes: Buffer) {
    const response = await uploadFile(server.url, browser, 'memo.wav', bytes, 'audio/wav');
    expect(response.status, await response.clone().text()).toBe(201);
    return readJson(response);
  }

  it('is transcribed while the upload waits, and its transcript reaches the model as the file’s text', async () => {
    const file = await attach(alice, sineWav({ seconds: 2 }));
    expect(file).toMatchObject({ status: 'ready', mimeType: 'audio/wav', name: 'memo.wav' });
    expect((await readJson(await alice.get(`/api/files/${file.id}/text`))).text).toBe('minutes of the long meeting');
    const started = await readJson(
      await alice.post('/api/chat/start', { message: 'Summarise', attachments: [file.id] }),
    );
    const answer = deltaText(await readEvents(await alice.get(`/api/chat/stream?sessionId=${started.sessionId}`)));
    // The echo model repeats its prompt: the transcript was in it.
    expect(answer).toContain('minutes of the long meeting');
    expect(answer).toContain('Summarise');
  });

  it('goes through the transcription job above audio.max_sync_bytes; the file is ready when it finishes', async () => {
    await setSetting(server, adminKey, 'audio.max_sync_bytes', 1024);
    try {
      const file = await attach(alice, sineWav({ seconds: 2 }));
      expect(file.status).toBe('pending');
      const settled = await settledFile(alice, file.id);
      expect(settled.status).toBe('ready');
      expect((await readJson(await alice.get(`/api/files/${file.id}/text`))).text).toBe('minutes of the long meeting');
    } finally {
      await setSetting(server, adminKey, 'audio.max_sync_bytes', 25 * 1024 * 1024);
    }
  });
});
