import { createUsageRepository } from '@switchyard/db';
import { platformJobs, withBackoffSchedule } from '@switchyard/jobs';
import {
  closedPortUrl,
  type FakeOpenAIAudioServer,
  type FakeWhisperCppServer,
  sineWav,
  spokenWav,
  startFakeOpenAIAudio,
  startFakeWhisperCpp,
} from '@switchyard/testkit';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, readJson } from '../testing/read-json';
import { setSetting } from '../testing/settings';
import { startTestServer, type TestServer } from '../testing/test-server';

let openaiAudio: FakeOpenAIAudioServer;
let whisper: FakeWhisperCppServer;
let server: TestServer;
let adminKey: string;
let devKey: string;
const speech = spokenWav('hello world');

beforeAll(async () => {
  openaiAudio = await startFakeOpenAIAudio({ apiKey: 'sk-upstream-audio-0123456789' });
  whisper = await startFakeWhisperCpp();
  const deadUrl = await closedPortUrl();
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      models: [{ id: 'embedder', provider: 'echo', kind: 'embedding' }],
      audioModels: [
        {
          id: 'whisper-1',
          type: 'openai-compatible',
          baseURL: openaiAudio.url,
          apiKey: 'sk-upstream-audio-0123456789',
          model: 'whisper-large-v3',
        },
        { id: 'whisper-cpp', type: 'whisper-cpp', baseURL: whisper.url, label: 'Local' },
        {
          id: 'tts-1',
          type: 'openai-compatible',
          kind: 'speech',
          baseURL: openaiAudio.url,
          apiKey: 'sk-upstream-audio-0123456789',
        },
        { id: 'dead', type: 'whisper-cpp', baseURL: deadUrl, environments: ['dev'] },
      ],
    },
    jobsCatalog: withBackoffSchedule(platformJobs, [20, 40]),
  });
  adminKey = await server.createKey('prod', { admin: true });
  devKey = await server.createKey('dev');
  await setSetting(server, adminKey, 'rate_limit.chat.dev', 10_000);
});

afterAll(async () => {
  await server?.destroy();
  await openaiAudio?.close();
  await whisper?.close();
});

const client = () => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: devKey, maxRetries: 0 });

function form(fields: Record<string, string>, file?: Buffer, name = 'speech.wav'): FormData {
  const body = new FormData();
  if (file) body.append('file', new Blob([new Uint8Array(file)]), name);
  for (const [field, value] of Object.entries(fields)) body.append(field, value);
  return body;
}

const post = (path: string, body: FormData, key = devKey) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body });

/** Reads a job's server-sent events until it completes or fails, calling `onEvent` for each. */
async function jobEvents(url: string, onEvent: (name: string, data: Json) => void = () => {}) {
  const response = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${devKey}` } });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: Array<{ name: string; data: Json }> = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
      const name = /^event: (.+)$/m.exec(frame)?.[1];
      const data = /^data: (.+)$/m.exec(frame)?.[1];
      if (!name || !data) continue;
      const event = { name, data: JSON.parse(data) as Json };
      events.push(event);
      onEvent(event.name, event.data);
    }
  }
  return events;
}

describe('OpenAI-compatible transcription with the official openai client', () => {
  it('transcribes a WAV made in the test through an OpenAI-compatible server', async () => {
    const before = openaiAudio.forms.length;
    const transcript = await client().audio.transcriptions.create({
      file: await toFile(speech, 'hello.wav'),
      model: 'whisper-1',
      language: 'en',
      temperature: 0,
    });

    expect(transcript.text).toBe('hello world');
    const sent = openaiAudio.forms[before];
    // The upstream gets the configured upstream model, the same bytes, and a file name of ours.
    expect(sent?.fields.model).toEqual(['whisper-large-v3']);
    expect(sent?.fields.language).toEqual(['en']);
    expect(sent?.file?.bytes.equals(speech)).toBe(true);
    expect(sent?.file?.name).toBe('audio.wav');
  });

  it('answers in text, srt, vtt and verbose_json', async () => {
    const file = await toFile(speech, 'hello.wav');
    const text = await client().audio.transcriptions.create({ file, model: 'whisper-cpp', response_format: 'text' });
    expect(String(text).trim()).toBe('hello world');
    const srt = await client().audio.transcriptions.create({ file, model: 'whisper-cpp', response_format: 'srt' });
    expect(String(srt)).toMatch(/^1\n00:00:00,000 --> /);
    const vtt = await client().audio.transcriptions.create({ file, model: 'whisper-1', response_format: 'vtt' });
    expect(String(vtt)).toMatch(/^WEBVTT\n/);
    const verbose = await client().audio.transcriptions.create({
      file,
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(verbose.text).toBe('hello world');
    expect(verbose.words?.map((word) => word.word)).toEqual(['hello', 'world']);
    expect(verbose.segments?.[0]?.text).toBe('hello world');
  });

  it('translates through whisper.cpp into English', async () => {
    const before = whisper.forms.length;
    const translation = await client().audio.translations.create({
      file: await toFile(speech, 'hallo.wav'),
      model: 'whisper-cpp',
    });
    expect(translation.text).toBe('hello world');
    expect(whisper.forms[before]?.fields.translate).toEqual(['true']);
  });

  it('speaks with a speech model', async () => {
    const answer = await client().audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input: 'hello world',
      response_format: 'wav',
    });
    const bytes = Buffer.from(await answer.arrayBuffer());
    expect(answer.headers.get('content-type')).toBe('audio/wav');
    expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
  });

  it('records the audio seconds on the usage row', async () => {
    await client().audio.transcriptions.create({
      file: await toFile(sineWav({ seconds: 3 }), 'a.wav'),
      model: 'whisper-cpp',
    });
    await server.parts.usage.flush();
    const rows = await createUsageRepository(server.parts.databases.dev.db).list({ limit: 1000 });
    const row = rows.find(
      (entry) =>
        entry.route === '/v1/audio/transcriptions' &&
        entry.model === 'whisper-cpp' &&
        entry.audioSeconds !== null &&
        Math.abs(entry.audioSeconds - 3) < 0.01,
    );
    expect(row).toMatchObject({ environment: 'dev', status: 200 });
  });
});

describe('bad input and upstream failures', () => {
  it('refuses a file that is not audio with 400 SY_ERR_UNSUPPORTED_AUDIO before any upstream call', async () => {
    const before = openaiAudio.requests.length;
    const response = await post(
      '/v1/audio/transcriptions',
      form({ model: 'whisper-1' }, Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj'), 'speech.wav'),
    );
    expect(response.status).toBe(400);
    expect(await readJson(response)).toMatchObject({ error: { code: 'SY_ERR_UNSUPPORTED_AUDIO', param: 'file' } });
    expect(openaiAudio.requests.length).toBe(before);
  });

  it('says what is wrong with the form: no file, a bad format, a speech model, an unknown model', async () => {
    const noFile = await post('/v1/audio/transcriptions', form({ model: 'whisper-1' }));
    expect(noFile.status).toBe(400);
    expect((await readJson(noFile)).error.code).toBe('SY_ERR_INVALID_MULTIPART');
    const badFormat = await post(
      '/v1/audio/transcriptions',
      form({ model: 'whisper-1', response_format: 'mp3' }, speech),
    );
    expect(badFormat.status).toBe(400);
    expect((await readJson(badFormat)).error).toMatchObject({ code: 'SY_ERR_VALIDATION', param: 'response_format' });
    const speaker = await post('/v1/audio/transcriptions', form({ model: 'tts-1' }, speech));
    expect(speaker.status).toBe(400);
    expect((await readJson(speaker)).error.message).toMatch(/speech/);
    const unknown = await post('/v1/audio/transcriptions', form({ model: 'nope' }, speech));
    expect(unknown.status).toBe(404);
    const json = await fetch(`${server.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${devKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
  });

  it('answers 413 saying to use async for a file too large to transcribe while waiting', async () => {
    await setSetting(server, adminKey, 'audio.max_sync_bytes', 1024);
    try {
      const response = await post('/v1/audio/transcriptions', form({ model: 'whisper-1' }, sineWav({ seconds: 1 })));
      expect(response.status).toBe(413);
      const body = await readJson(response);
      expect(body.error.code).toBe('SY_ERR_PAYLOAD_TOO_LARGE');
      expect(body.error.message).toMatch(/async=true/);
    } finally {
      await setSetting(server, adminKey, 'audio.max_sync_bytes', 25 * 1024 * 1024);
    }
  });

  it('turns an upstream failure into 502 and an unreachable upstream into 503', async () => {
    openaiAudio.setBehaviour({ kind: 'error', status: 500 });
    try {
      const failed = await post('/v1/audio/transcriptions', form({ model: 'whisper-1' }, speech));
      expect(failed.status).toBe(502);
      expect((await readJson(failed)).error.code).toBe('SY_ERR_UPSTREAM');
    } finally {
      openaiAudio.setBehaviour({ kind: 'ok' });
    }
    const unreachable = await post('/v1/audio/transcriptions', form({ model: 'dead' }, speech));
    expect(unreachable.status).toBe(503);
    expect((await readJson(unreachable)).error.code).toBe('SY_ERR_UPSTREAM_UNAVAILABLE');
  });

  it('keeps a dev-only model out of prod', async () => {
    const prodKey = await server.createKey('prod');
    const response = await post('/v1/audio/transcriptions', form({ model: 'dead' }, speech), prodKey);
    expect(response.status).toBe(404);
  });

  it('enforces the daily audio minutes of the environment', async () => {
    await setSetting(server, adminKey, 'audio.max_minutes_per_day.dev', 0);
    try {
      const response = await post('/v1/audio/transcriptions', form({ model: 'whisper-1' }, speech));
      expect(response.status).toBe(429);
      expect((await readJson(response)).error.code).toBe('SY_ERR_QUOTA_EXCEEDED');
      const quota = await readJson(
        await fetch(`${server.url}/v1/audio/quota`, { headers: { authorization: `Bearer ${devKey}` } }),
      );
      expect(quota).toMatchObject({ environment: 'dev', limit_minutes: 0 });
      expect(quota.used_minutes).toBeGreaterThan(0);
    } finally {
      await setSetting(server, adminKey, 'audio.max_minutes_per_day.dev', 120);
    }
  });
});

describe('the daily audio minutes under concurrent requests', () => {
  it('accepts exactly what fits in the quota however many arrive at once, and gives back what failed', async () => {
    await setSetting(server, adminKey, 'audio.max_minutes_per_day.dev', 1);
    try {
      const key = await server.createKey('dev');
      const tenSeconds = sineWav({ seconds: 10 });
      const answers = await Promise.all(
        Array.from({ length: 14 }, () =>
          post('/v1/audio/transcriptions', form({ model: 'whisper-cpp' }, tenSeconds), key),
        ),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses.filter((status) => status === 200)).toHaveLength(6);
      expect(statuses.filter((status) => status === 429)).toHaveLength(8);
      const quota = await readJson(
        await fetch(`${server.url}/v1/audio/quota`, { headers: { authorization: `Bearer ${key}` } }),
      );
      expect(quota).toMatchObject({ used_minutes: 1, remaining_minutes: 0 });

      // A request whose upstream fails costs nothing: its seconds go back.
      const other = await server.createKey('dev');
      const failed = await post('/v1/audio/transcriptions', form({ model: 'dead' }, tenSeconds), other);
      expect(failed.status).toBe(503);
      const untouched = await readJson(
        await fetch(`${server.url}/v1/audio/quota`, { headers: { authorization: `Bearer ${other}` } }),
      );
      expect(untouched.used_minutes).toBe(0);
    } finally {
      await setSetting(server, adminKey, 'audio.max_minutes_per_day.dev', 120);
    }
  });
});

describe('long recordings as jobs', () => {
  it('stores the recording, transcribes it in a job with progress, and serves the transcript', async () => {
    const accepted = await post(
      '/v1/audio/transcriptions',
      form({ model: 'whisper-cpp', async: 'true', response_format: 'srt' }, sineWav({ seconds: 4 })),
    );
    expect(accepted.status).toBe(202);
    const job = await readJson(accepted);
    expect(job).toMatchObject({ object: 'audio.transcription.job', status: 'queued', model: 'whisper-cpp' });
    expect(accepted.headers.get('location')).toBe(`/v1/audio/jobs/${job.id}`);

    const events = await jobEvents(job.events_url);
    expect(events.at(-1)).toMatchObject({ name: 'completed', data: { status: 'completed', duration: 4 } });
    expect(events.some((event) => event.name === 'progress' && event.data.stage === 'transcribing')).toBe(true);

    const done = await readJson(
      await fetch(`${server.url}${job.status_url}`, { headers: { authorization: `Bearer ${devKey}` } }),
    );
    expect(done.status).toBe('completed');
    expect(done.transcript).toMatch(/^1\n00:00:00,000 --> 00:00:04,000\nhello world\n/);

    // Another caller cannot read it.
    const otherKey = await server.createKey('dev');
    const other = await fetch(`${server.url}${job.status_url}`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(other.status).toBe(404);
  });

  it('takes a recording over the synchronous limit through a temporary file into storage, whole', async () => {
    // 26 MB (820 s at 16 kHz): past audio.max_sync_bytes, so only async=true takes it.
    const long = sineWav({ seconds: 820, sampleRate: 16_000 });
    expect(long.length).toBeGreaterThan(25 * 1024 * 1024);
    const refused = await post('/v1/audio/transcriptions', form({ model: 'whisper-cpp' }, long));
    expect(refused.status).toBe(413);
    const accepted = await post('/v1/audio/transcriptions', form({ model: 'whisper-cpp', async: 'true' }, long));
    expect(accepted.status).toBe(202);
    const job = await readJson(accepted);
    const stored = await server.parts.storage.getBuffer(`audio/dev/${job.id}/recording`);
    expect(stored.info.size).toBe(long.length);
    expect(stored.body.equals(long)).toBe(true);
    const events = await jobEvents(job.events_url);
    // The length was read from the WAV header in the spooled file's first bytes.
    expect(events.at(-1)).toMatchObject({ name: 'completed', data: { duration: 820 } });
  });

  it('retries a job while the upstream fails, then completes', async () => {
    openaiAudio.setBehaviour({ kind: 'error', status: 503 });
    const accepted = await post('/v1/audio/transcriptions', form({ model: 'whisper-1', async: 'true' }, speech));
    const job = await readJson(accepted);
    const events = await jobEvents(job.events_url, (name) => {
      if (name === 'retrying') openaiAudio.setBehaviour({ kind: 'ok' });
    });
    expect(events.map((event) => event.name)).toContain('retrying');
    expect(events.at(-1)).toMatchObject({ name: 'completed', data: { text: 'hello world' } });
  });
});

describe('models by kind', () => {
  it('GET /v1/models lists every model with its kind; the chat picker only chat models', async () => {
    const models = await client().models.list();
    const kinds = Object.fromEntries(
      models.data.map((model) => [model.id, (model as unknown as { kind: string }).kind]),
    );
    expect(kinds).toMatchObject({
      echo: 'chat',
      embedder: 'embedding',
      'test-image': 'image',
      'whisper-1': 'transcription',
      'tts-1': 'speech',
      dead: 'transcription',
    });
    const chat = await readJson(await fetch(`${server.url}/v1/chat/models`));
    expect(chat.models.map((model: { id: string }) => model.id)).not.toContain('embedder');
    expect(chat.models.map((model: { id: string }) => model.id)).toContain('echo');
  });
});
