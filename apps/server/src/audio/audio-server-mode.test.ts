import {
  createServerModeEnvironment,
  eventually,
  type FakeWhisperCppServer,
  serverModeAvailable,
  sineWav,
  startFakeWhisperCpp,
  startTestS3Server,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const available = await serverModeAvailable('server-mode audio jobs');

describe.skipIf(!available)('server mode: a long recording goes through S3 and a worker process', () => {
  const cleanups: Array<() => Promise<void>> = [];
  let api: TestServer;
  let whisper: FakeWhisperCppServer;

  beforeAll(async () => {
    const environment = await createServerModeEnvironment();
    cleanups.push(environment.drop);
    const s3 = await startTestS3Server();
    cleanups.push(s3.close);
    whisper = await startFakeWhisperCpp({ transcript: () => 'a long meeting' });
    cleanups.push(whisper.close);
    const variables = {
      ...environment.variables,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_REGION: s3.region,
    };
    const config = {
      ollama: { autodetect: false },
      audioModels: [{ id: 'whisper', type: 'whisper-cpp', baseURL: whisper.url }],
    };
    api = await startTestServer({ config, variables, role: 'api' });
    cleanups.push(() => api.destroy());
    const worker = await startTestServer({ config, variables, role: 'worker' });
    cleanups.push(() => worker.destroy());
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it('the API stores the audio, the worker transcribes it, the API serves the transcript', async () => {
    const key = await api.createKey('dev');
    const body = new FormData();
    body.append('file', new Blob([new Uint8Array(sineWav({ seconds: 2 }))]), 'meeting.wav');
    body.append('async', 'true');
    const accepted = await fetch(`${api.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body,
    });
    expect(accepted.status).toBe(202);
    const job = await readJson(accepted);
    const done = await eventually(
      async () => {
        const status = await readJson(
          await fetch(`${api.url}${job.status_url}`, { headers: { authorization: `Bearer ${key}` } }),
        );
        expect(status.status).toBe('completed');
        return status;
      },
      { safetyMs: 30_000, intervalMs: 50 },
    );
    expect(JSON.parse(done.transcript)).toEqual({ text: 'a long meeting' });
    expect(done).toMatchObject({ text: 'a long meeting', duration: 2, model: 'whisper' });
    expect(whisper.forms).toHaveLength(1);
  });

  it('counts the daily minutes atomically in Redis: exactly what fits is accepted under concurrent requests', async () => {
    const admin = await api.createKey('prod', { admin: true });
    const put = (key: string, value: number) =>
      fetch(`${api.url}/v1/admin/settings/${key}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ value }),
      });
    expect((await put('audio.max_minutes_per_day.dev', 1)).status).toBe(200);
    expect((await put('rate_limit.chat.dev', 10_000)).status).toBe(200);
    const key = await api.createKey('dev');
    const tenSeconds = new Uint8Array(sineWav({ seconds: 10 }));
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => {
        const body = new FormData();
        body.append('file', new Blob([tenSeconds]), 'clip.wav');
        return fetch(`${api.url}/v1/audio/transcriptions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}` },
          body,
        });
      }),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(6);
    expect(statuses.filter((status) => status === 429)).toHaveLength(6);
  });
});
