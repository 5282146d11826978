/// <reference lib="dom" />
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeOpenAIAudioServer, spokenWav, startFakeOpenAIAudio } from '@switchyard/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts, type E2eApp, e2eUnavailable, signUpInBrowser, startE2eApp } from './harness';

/**
 * End to end: the chat composer's microphone in real Chromium. Chromium's fake media devices stand in
 * for a microphone (granted without a prompt) and play a WAV spoken by espeak-ng (a tone without it);
 * the page records it with MediaRecorder, uploads it to a real `switchyard start`, whose audio model
 * is the testkit's fake OpenAI Whisper server, and the transcript lands in the composer.
 */
const words = 'turn the lights on in the kitchen';

describe.skipIf(e2eUnavailable())('the microphone button end to end', () => {
  let whisper: FakeOpenAIAudioServer;
  let app: E2eApp;
  let page: Page;

  beforeAll(async () => {
    whisper = await startFakeOpenAIAudio({ apiKey: 'sk-e2e-whisper-0123456789', transcript: () => words });
    app = await startE2eApp({
      name: 'voice',
      config: {
        audioModels: [
          {
            id: 'whisper-1',
            type: 'openai-compatible',
            baseURL: whisper.url,
            apiKey: 'sk-e2e-whisper-0123456789',
          },
        ],
      },
      prepare: (dataDir) => writeFile(join(dataDir, 'speech.wav'), spokenWav(words)),
      chromiumFlags: (dataDir) => [
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${join(dataDir, 'speech.wav')}`,
      ],
    });
    page = app.page;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await whisper?.close();
  });

  it('records from the microphone, uploads the recording and puts the transcript in the composer', async () => {
    await signUpInBrowser(page, app.server.url, {
      name: 'Vera',
      email: 'vera@example.com',
      password: 'a long password 456',
    });

    await page.getByRole('button', { name: 'Record voice' }).click();
    const stop = page.getByRole('button', { name: 'Stop recording' });
    await stop.waitFor();
    // Let the fake device play a little; whatever length is recorded, the transcript is the fake's.
    await page.waitForTimeout(1_000);
    const uploaded = page.waitForResponse((response) => response.url().endsWith('/v1/audio/transcriptions'));
    await stop.click();
    expect((await uploaded).status()).toBe(200);

    const composer = page.getByLabel('Message', { exact: true });
    await expect.poll(() => composer.inputValue()).toBe(words);
    await page.screenshot({ path: join(artifacts, 'voice-composer.png') });

    // What reached the upstream: a browser recording (WebM or Ogg), under a name of Switchyard's.
    expect(whisper.forms).toHaveLength(1);
    const file = whisper.forms[0]?.file;
    expect(file?.name).toMatch(/^audio\.(webm|ogg)$/);
    expect(file?.bytes.length).toBeGreaterThan(100);
    expect(whisper.forms[0]?.fields.model).toEqual(['whisper-1']);
  });
});
