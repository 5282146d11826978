import {
  closeAfterEach,
  type FakeOpenAIServer,
  readSolidPngColor,
  startFakeOpenAI,
  switchyardFailure,
} from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createImageProvider } from '../create-image-provider';
import type { ImageProvider, ImageProviderConfig, ImageRequest } from '../spec';
import { createOpenAIImagesProvider } from '.';

const apiKey = 'sk-test-image-key-1234567890';
const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const track = closeAfterEach();

async function setup(
  fakeOptions: Parameters<typeof startFakeOpenAI>[0] = {},
  config: Partial<ImageProviderConfig> = {},
): Promise<{ fake: FakeOpenAIServer; provider: ImageProvider }> {
  const fake = await startFakeOpenAI({ apiKey, ...fakeOptions });
  track(fake);
  const provider = createOpenAIImagesProvider({
    id: 'openai-images',
    type: 'openai-images',
    baseURL: fake.url,
    apiKey,
    model: 'dall-e-3',
    ...config,
  });
  track(provider);
  return { fake, provider };
}

const request: ImageRequest = { prompt: 'a red bicycle', width: 1024, height: 1792, seed: 3, steps: 30 };

describe('openai-images provider', () => {
  it('asks for base64 and decodes it into PNG bytes', async () => {
    const { fake, provider } = await setup();
    const progress: number[] = [];
    const images = await provider.generate(request, { onProgress: (fraction) => progress.push(fraction) });

    expect(images).toHaveLength(1);
    const image = images[0];
    expect(image?.mimeType).toBe('image/png');
    expect(image?.bytes.subarray(0, 8).equals(pngSignature)).toBe(true);
    expect(readSolidPngColor(image?.bytes ?? Buffer.alloc(0))).toHaveLength(3);
    expect(image?.revisedPrompt).toBe('A detailed rendering of a red bicycle');
    expect(progress).toEqual([0, 1]);

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.path).toBe('/v1/images/generations');
    expect(sent?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(sent?.body).toEqual({
      model: 'dall-e-3',
      prompt: 'a red bicycle',
      n: 1,
      size: '1024x1792',
      response_format: 'b64_json',
    });
  });

  it('leaves response_format out for gpt-image models, which always answer in base64', async () => {
    const { fake, provider } = await setup();
    const [image] = await provider.generate({ ...request, model: 'gpt-image-1' });

    expect(image?.bytes.subarray(0, 8).equals(pngSignature)).toBe(true);
    expect(fake.requests[0]?.body).toEqual({ model: 'gpt-image-1', prompt: 'a red bicycle', n: 1, size: '1024x1792' });
  });

  it('downloads an image URL on the configured origin, with the credentials', async () => {
    const { fake, provider } = await setup({ imageResponseFormat: 'url' });
    const [image] = await provider.generate(request);

    expect(image?.mimeType).toBe('image/png');
    expect(image?.bytes.subarray(0, 8).equals(pngSignature)).toBe(true);
    expect(fake.requests.map((recorded) => recorded.path)).toEqual([
      '/v1/images/generations',
      expect.stringMatching(/^\/v1\/images\/files\/[0-9a-f]+\.png$/),
    ]);
    expect(fake.requests[1]?.headers.authorization).toBe(`Bearer ${apiKey}`);
  });

  it('refuses an image URL on a foreign origin instead of fetching it', async () => {
    const { fake, provider } = await setup({ imageResponseFormat: 'url', imageUrlOrigin: 'http://169.254.169.254' });
    const error = await switchyardFailure(provider.generate(request));

    expect(error.code).toBe('SY_ERR_UPSTREAM');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/outside its own origin/);
    expect(error.details).toMatchObject({ imageOrigin: 'http://169.254.169.254' });
    expect(fake.requests).toHaveLength(1);
  });

  it('maps upstream refusals and credential failures without leaking the key', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'error', status: 400 });
    const rejected = await switchyardFailure(provider.generate(request));
    expect(rejected.code).toBe('SY_ERR_UPSTREAM_BAD_REQUEST');
    expect(rejected.isRetryable).toBe(false);

    fake.setBehaviour({ kind: 'error', status: 401 });
    const unauthorized = await switchyardFailure(provider.generate(request));
    expect(unauthorized.code).toBe('SY_ERR_UPSTREAM');
    expect(unauthorized.message).not.toContain('sk-');
  });

  it('times out with SY_ERR_UPSTREAM_TIMEOUT and honours an abort', async () => {
    const { fake, provider } = await setup({}, { timeoutMs: 200 });
    fake.setBehaviour({ kind: 'hang' });
    expect((await switchyardFailure(provider.generate(request))).code).toBe('SY_ERR_UPSTREAM_TIMEOUT');

    const controller = new AbortController();
    const pending = provider.generate(request, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('checks health with the model list and is created by the factory', async () => {
    const fake = await startFakeOpenAI({ apiKey });
    track(fake);
    const provider = createImageProvider({ id: 'images', type: 'openai-images', baseURL: fake.url, apiKey });
    track(provider);

    await provider.health();
    expect(fake.requests.map((recorded) => recorded.path)).toEqual(['/v1/models']);
    expect(() => createImageProvider({ id: 'x', type: 'dall-e' as 'comfyui', baseURL: fake.url })).toThrow(
      /Unknown image provider type/,
    );
  });
});
