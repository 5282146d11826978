import {
  closeAfterEach,
  type FakeUpstreamServer,
  type ReceivedAudioForm,
  sineWav,
  spokenWav,
  startFakeOpenAIAudio,
  startFakeWhisperCpp,
  switchyardFailure,
} from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createAudioProvider } from './create-audio-provider';
import type { AudioProvider, AudioProviderType, TranscriptionRequest } from './spec';

const track = closeAfterEach();
const apiKey = 'sk-audio-test-key-1234567890';

interface Subject {
  type: AudioProviderType;
  start(): Promise<FakeUpstreamServer & { forms: ReceivedAudioForm[] }>;
  /** The upstream path one transcription goes to. */
  path: string;
}

const subjects: Subject[] = [
  { type: 'openai-compatible', start: () => startFakeOpenAIAudio({ apiKey }), path: '/v1/audio/transcriptions' },
  { type: 'whisper-cpp', start: () => startFakeWhisperCpp(), path: '/inference' },
];

const wav = spokenWav('hello world');
const request = (overrides: Partial<TranscriptionRequest> = {}): TranscriptionRequest => ({
  file: { bytes: wav, fileName: 'speech.wav', mimeType: 'audio/wav' },
  format: 'json',
  ...overrides,
});

describe.each(subjects)('audio provider contract: $type', (subject) => {
  async function setup(): Promise<{
    fake: FakeUpstreamServer & { forms: ReceivedAudioForm[] };
    provider: AudioProvider;
  }> {
    const fake = track(await subject.start());
    const provider = track(
      createAudioProvider({
        id: `test-${subject.type}`,
        type: subject.type,
        baseURL: fake.url,
        apiKey,
        model: 'whisper-1',
      }),
    );
    return { fake, provider };
  }

  it('sends the file and the fields as multipart and reads the json transcript', async () => {
    const { fake, provider } = await setup();
    const transcript = await provider.transcribe(request({ language: 'en', prompt: 'greeting', temperature: 0.2 }));

    expect(transcript.text).toBe('hello world');
    expect(JSON.parse(transcript.body)).toEqual({ text: 'hello world' });
    expect(transcript.contentType).toBe('application/json');
    const form = fake.forms[0];
    expect(form?.path).toBe(subject.path);
    expect(form?.file?.bytes.equals(wav)).toBe(true);
    expect(form?.file?.name).toBe('speech.wav');
    expect(form?.fields).toMatchObject({
      language: ['en'],
      prompt: ['greeting'],
      temperature: ['0.2'],
      response_format: ['json'],
    });
  });

  it.each(['text', 'srt', 'vtt'] as const)('answers in %s', async (format) => {
    const { provider } = await setup();
    const transcript = await provider.transcribe(request({ format }));

    if (format === 'text') expect(transcript.body.trim()).toBe('hello world');
    if (format === 'srt') expect(transcript.body).toMatch(/^1\n00:00:00,000 --> 00:00:0\d,\d{3}\nhello world\n/);
    if (format === 'vtt') expect(transcript.body).toMatch(/^WEBVTT\n\n00:00:00\.000 --> /);
    expect(transcript.format).toBe(format);
  });

  it('reports the duration in verbose_json', async () => {
    const { provider } = await setup();
    const transcript = await provider.transcribe(
      request({
        format: 'verbose_json',
        file: { bytes: sineWav({ seconds: 2 }), fileName: 'a.wav', mimeType: 'audio/wav' },
      }),
    );

    expect(transcript.durationSeconds).toBeCloseTo(2, 3);
    expect(transcript.text).toBe('hello world');
    expect(JSON.parse(transcript.body)).toMatchObject({
      duration: 2,
      segments: [expect.objectContaining({ text: 'hello world' })],
    });
  });

  it('translates into English', async () => {
    const { fake, provider } = await setup();
    const transcript = await provider.translate(request({ format: 'verbose_json' }));

    expect(JSON.parse(transcript.body)).toMatchObject({ task: 'translate', language: 'english' });
    if (subject.type === 'whisper-cpp') expect(fake.forms[0]?.fields.translate).toEqual(['true']);
    else expect(fake.forms[0]?.path).toBe('/v1/audio/translations');
  });

  it('turns a file the upstream cannot read into a 400 that is not retried', async () => {
    const { provider } = await setup();
    const error = await switchyardFailure(
      provider.transcribe(
        request({ file: { bytes: Buffer.from('%PDF-1.7 not audio'), fileName: 'a.wav', mimeType: 'audio/wav' } }),
      ),
    );

    expect(error.code).toBe('SY_ERR_UPSTREAM_BAD_REQUEST');
    expect(error.status).toBe(400);
    expect(error.isRetryable).toBe(false);
  });

  it('turns an upstream failure into a retryable 502, and a dead upstream into a 503-class error', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'error', status: 500 });
    const failed = await switchyardFailure(provider.transcribe(request()));
    expect(failed.code).toBe('SY_ERR_UPSTREAM');
    expect(failed.status).toBe(502);
    expect(failed.isRetryable).toBe(true);

    await fake.close();
    const unreachable = await switchyardFailure(provider.transcribe(request()));
    expect(unreachable.status).toBe(503);
    expect(unreachable.isRetryable).toBe(true);
  });
});

describe('openai-compatible speech', () => {
  it('posts JSON to /audio/speech and returns the audio bytes', async () => {
    const fake = track(await startFakeOpenAIAudio({ apiKey }));
    const provider = track(createAudioProvider({ id: 'tts', type: 'openai-compatible', baseURL: fake.url, apiKey }));
    const speech = await provider.speak({ input: 'hello', voice: 'alloy', format: 'wav', speed: 1.5 });

    expect(speech.contentType).toBe('audio/wav');
    expect(speech.bytes.toString('ascii', 0, 4)).toBe('RIFF');
    expect(fake.requests[0]?.body).toEqual({
      model: 'tts-1',
      input: 'hello',
      voice: 'alloy',
      response_format: 'wav',
      speed: 1.5,
    });
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
  });

  it('whisper.cpp cannot speak', async () => {
    const fake = track(await startFakeWhisperCpp());
    const provider = track(createAudioProvider({ id: 'w', type: 'whisper-cpp', baseURL: fake.url }));
    const error = await switchyardFailure(provider.speak({ input: 'hi', voice: 'alloy', format: 'mp3' }));
    expect(error.code).toBe('SY_ERR_VALIDATION');
    expect(fake.requests).toHaveLength(0);
  });
});
