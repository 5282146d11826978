/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeOpenAIAudioServer, spokenWav, startFakeOpenAIAudio } from '@switchyard/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../apps/server/src/testing/cli-process';
import { chromiumArgs, chromiumPath } from './chromium';

/**
 * End to end: the chat composer's microphone in real Chromium. Chromium's fake media devices stand in
 * for a microphone (granted without a prompt) and play a WAV spoken by espeak-ng (a tone without it);
 * the page records it with MediaRecorder, uploads it to a real `switchyard start`, whose audio model
 * is the testkit's fake OpenAI Whisper server, and the transcript lands in the composer.
 */
const hasChromium = existsSync(chromiumPath);
const hasBuild = existsSync(join(import.meta.dirname, '../apps/web/dist/index.html'));
if (!hasChromium) console.warn(`e2e skipped: ${chromiumPath} is missing (apt-get install -y chromium)`);
if (!hasBuild) console.warn('e2e skipped: apps/web/dist is missing (npm run build -w @switchyard/web)');

const artifacts = join(import.meta.dirname, 'artifacts');
const words = 'turn the lights on in the kitchen';

describe.skipIf(!hasChromium || !hasBuild)('the microphone button end to end', () => {
  let dataDir: string;
  let whisper: FakeOpenAIAudioServer;
  let server: CliServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-e2e-voice-'));
    whisper = await startFakeOpenAIAudio({ apiKey: 'sk-e2e-whisper-0123456789', transcript: () => words });
    const speech = join(dataDir, 'speech.wav');
    await writeFile(speech, spokenWav(words));
    await writeFile(
      join(dataDir, 'switchyard.config.yaml'),
      JSON.stringify({
        ollama: { autodetect: false },
        audioModels: [
          {
            id: 'whisper-1',
            type: 'openai-compatible',
            baseURL: whisper.url,
            apiKey: 'sk-e2e-whisper-0123456789',
          },
        ],
      }),
    );
    const variables = { SWITCHYARD_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    server = await startCliServer(['start'], { cwd: dataDir, variables });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        ...chromiumArgs,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${speech}`,
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
    await server?.exited;
    await whisper?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('records from the microphone, uploads the recording and puts the transcript in the composer', async () => {
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Vera');
    await page.getByLabel('Email').fill('vera@example.com');
    await page.getByLabel('Password').fill('a long password 456');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL('**/chat');

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
