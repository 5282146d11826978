import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sineWav, wavSeconds } from '../audio/wav';
import { type FakeOpenAIAudioServer, startFakeOpenAIAudio } from './openai-audio-server';
import { type FakeWhisperCppServer, startFakeWhisperCpp } from './whisper-cpp-server';

let openai: FakeOpenAIAudioServer;
let whisper: FakeWhisperCppServer;

beforeAll(async () => {
  openai = await startFakeOpenAIAudio();
  whisper = await startFakeWhisperCpp();
});
afterAll(async () => {
  await openai?.close();
  await whisper?.close();
});

function form(fields: Record<string, string>, file?: Buffer): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  if (file) body.append('file', new Blob([new Uint8Array(file)]), 'a.wav');
  return body;
}

describe('the audio fakes check the multipart fields like the real servers', () => {
  it('OpenAI: a missing file or model is a 400 invalid_request_error naming the param', async () => {
    const noFile = await fetch(`${openai.url}/audio/transcriptions`, {
      method: 'POST',
      body: form({ model: 'whisper-1' }),
    });
    expect(noFile.status).toBe(400);
    expect(await noFile.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'file' } });

    const noModel = await fetch(`${openai.url}/audio/transcriptions`, { method: 'POST', body: form({}, sineWav()) });
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toMatchObject({ error: { param: 'model' } });

    const json = await fetch(`${openai.url}/audio/transcriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(400);
  });

  it('whisper.cpp: a missing file or a non-WAV file is an error body with HTTP 200', async () => {
    const noFile = await fetch(`${whisper.url}/inference`, { method: 'POST', body: form({ response_format: 'json' }) });
    expect(noFile.status).toBe(200);
    expect(await noFile.json()).toEqual({ error: "no 'file' field in the request" });

    const notWav = await fetch(`${whisper.url}/inference`, { method: 'POST', body: form({}, Buffer.from('ID3....')) });
    expect(await notWav.json()).toEqual({ error: 'failed to read WAV file' });
  });

  it('a generated WAV has the length asked for', () => {
    expect(wavSeconds(sineWav({ seconds: 1.5 }))).toBeCloseTo(1.5, 5);
    expect(wavSeconds(Buffer.from('not a wav'))).toBeUndefined();
  });
});
