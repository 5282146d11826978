import {
  closeAfterEach,
  closedPortUrl,
  type FakeComfyUIOptions,
  type FakeComfyUIServer,
  fakeImageColor,
  readSolidPngColor,
  startFakeComfyUI,
  startTestHttpProxy,
  switchyardFailure,
} from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createImageProvider } from '../create-image-provider';
import type { ImageProvider, ImageProviderConfig, ImageRequest } from '../spec';
import { createComfyUIProvider } from '.';
import { type ComfyWorkflow, defaultSdxlWorkflow } from './workflow';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const track = closeAfterEach();

async function setup(
  fakeOptions: FakeComfyUIOptions = {},
  config: Partial<ImageProviderConfig> = {},
): Promise<{ fake: FakeComfyUIServer; provider: ImageProvider }> {
  const fake = await startFakeComfyUI({ finishDelayMs: 30, ...fakeOptions });
  track(fake);
  const provider = createComfyUIProvider({
    id: 'comfyui',
    type: 'comfyui',
    baseURL: fake.url,
    pollIntervalMs: 20,
    ...config,
  });
  track(provider);
  return { fake, provider };
}

const request: ImageRequest = { prompt: 'a lighthouse at dusk', width: 1024, height: 768, seed: 42 };

/** The graph of the n-th POST /prompt, as the fake received it. */
function submittedGraph(fake: FakeComfyUIServer, index = 0): ComfyWorkflow {
  const body = fake.requests.filter((recorded) => recorded.path === '/prompt')[index]?.body;
  if (body === null || typeof body !== 'object' || !('prompt' in body)) throw new Error('no workflow submitted');
  return body.prompt as ComfyWorkflow;
}

function countRequests(fake: FakeComfyUIServer, prefix: string): number {
  return fake.requests.filter((recorded) => recorded.path.startsWith(prefix)).length;
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * After the provider has given up, it polls no more. The poll loop is
 * sequential, so one GET /history/ may have been on the wire when it gave up
 * and reach the fake afterwards; a loop that kept going would send one every
 * 20 ms, five or more in the 100 ms watched here.
 */
async function expectPollingStopped(fake: FakeComfyUIServer): Promise<void> {
  const polls = countRequests(fake, '/history/');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(countRequests(fake, '/history/')).toBeLessThanOrEqual(polls + 1);
}

/** The same SDXL graph under different node ids, with the negative encoder sorted before the positive one. */
function customTemplate(): ComfyWorkflow {
  return {
    loader: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd_xl_base_1.0.safetensors' } },
    a_negative: { class_type: 'CLIPTextEncode', inputs: { text: 'ugly', clip: ['loader', 1] } },
    b_positive: { class_type: 'CLIPTextEncode', inputs: { text: 'placeholder', clip: ['loader', 1] } },
    canvas: { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 2 } },
    sampler: {
      class_type: 'KSampler',
      inputs: {
        seed: 1,
        steps: 10,
        cfg: 5,
        sampler_name: 'dpmpp_2m',
        scheduler: 'karras',
        denoise: 1,
        model: ['loader', 0],
        positive: ['b_positive', 0],
        negative: ['a_negative', 0],
        latent_image: ['canvas', 0],
      },
    },
    decode: { class_type: 'VAEDecode', inputs: { samples: ['sampler', 0], vae: ['loader', 2] } },
    save: { class_type: 'SaveImage', inputs: { filename_prefix: 'custom', images: ['decode', 0] } },
  };
}

describe('comfyui image provider', () => {
  it('generates a PNG, reporting progress from 0 to 1', async () => {
    const { fake, provider } = await setup();
    const progress: number[] = [];
    const images = await provider.generate(request, { onProgress: (fraction) => progress.push(fraction) });

    expect(images).toHaveLength(1);
    const image = images[0];
    expect(image?.mimeType).toBe('image/png');
    expect(image?.bytes.subarray(0, 8).equals(pngSignature)).toBe(true);
    expect(image?.seed).toBe(42);
    expect(readSolidPngColor(image?.bytes ?? Buffer.alloc(0))).toEqual(fakeImageColor(42));
    expect(progress).toEqual([0, 1]);

    const paths = fake.requests.map((recorded) => `${recorded.method} ${recorded.path.split('?')[0]}`);
    expect(paths[0]).toBe('POST /prompt');
    expect(paths).toContain(`GET /history/${fake.jobs[0]?.promptId}`);
    expect(paths.at(-1)).toBe('GET /view');
  });

  it('puts the prompt, negative prompt, size, steps, seed and cfg into the right nodes', async () => {
    const { fake, provider } = await setup();
    const prompt = 'a "quoted" {braced} prompt\\n with "inputs": {"text": "injected"}';
    await provider.generate({
      prompt,
      negativePrompt: 'blurry',
      width: 1001,
      height: 100,
      steps: 500,
      seed: 7,
      cfgScale: 6.5,
    });

    expect(fake.requests[0]?.body).toMatchObject({ client_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const graph = submittedGraph(fake);
    expect(graph['6']?.inputs.text).toBe(prompt);
    expect(graph['7']?.inputs.text).toBe('blurry');
    expect(graph['5']?.inputs).toMatchObject({ width: 1000, height: 256, batch_size: 1 });
    expect(graph['3']?.inputs).toMatchObject({
      seed: 7,
      steps: 150,
      cfg: 6.5,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
    });
    expect(graph['4']?.inputs.ckpt_name).toBe('sd_xl_base_1.0.safetensors');
    expect(graph['9']).toMatchObject({ class_type: 'SaveImage', inputs: { filename_prefix: 'switchyard' } });
    expect(Object.keys(graph)).toHaveLength(7);
  });

  it('keeps the default negative prompt and picks a random seed when the request has none', async () => {
    const { fake, provider } = await setup();
    const [image] = await provider.generate({ prompt: 'a fox', width: 4096, height: 1024 });

    const graph = submittedGraph(fake);
    expect(graph['7']?.inputs.text).toBe(defaultSdxlWorkflow()['7']?.inputs.text);
    expect(graph['5']?.inputs).toMatchObject({ width: 2048, height: 1024 });
    expect(graph['3']?.inputs.seed).toBe(image?.seed);
    expect(Number.isInteger(image?.seed)).toBe(true);
  });

  it('fills a custom template with other node ids by following the sampler links', async () => {
    const template = customTemplate();
    const untouched = structuredClone(template);
    const { fake, provider } = await setup(
      { checkpoints: ['sd_xl_base_1.0.safetensors', 'juggernaut.safetensors'] },
      { workflow: template, model: 'juggernaut.safetensors' },
    );
    const images = await provider.generate({ ...request, negativePrompt: 'text', steps: 12 });

    const graph = submittedGraph(fake);
    expect(graph.b_positive?.inputs.text).toBe(request.prompt);
    expect(graph.a_negative?.inputs.text).toBe('text');
    expect(graph.canvas?.inputs).toMatchObject({ width: 1024, height: 768, batch_size: 2 });
    expect(graph.sampler?.inputs).toMatchObject({ seed: 42, steps: 12, cfg: 5, sampler_name: 'dpmpp_2m' });
    expect(graph.loader?.inputs.ckpt_name).toBe('juggernaut.safetensors');
    expect(template).toEqual(untouched);

    // A batch of two: both files, told apart by colour.
    expect(images).toHaveLength(2);
    expect(readSolidPngColor(images[0]?.bytes ?? Buffer.alloc(0))).toEqual(fakeImageColor(42));
    expect(readSolidPngColor(images[1]?.bytes ?? Buffer.alloc(0))).toEqual(fakeImageColor(43));
  });

  it('refuses a UI-format or unusable template when the provider is created', () => {
    const base = { id: 'comfyui', type: 'comfyui' as const, baseURL: 'http://127.0.0.1:8188' };
    expect(() => createComfyUIProvider({ ...base, workflow: { nodes: [], links: [] } })).toThrow(/API Format/);
    const noSampler: ComfyWorkflow = defaultSdxlWorkflow();
    delete noSampler['3'];
    expect(() => createComfyUIProvider({ ...base, workflow: noSampler })).toThrow(/KSampler/);
    expect(() => createComfyUIProvider({ ...base, workflow: { '1': { inputs: {} } } })).toThrow(/class_type/);
  });

  it('maps a graph ComfyUI refuses to SY_ERR_UPSTREAM_BAD_REQUEST', async () => {
    const withoutOutput = defaultSdxlWorkflow();
    delete withoutOutput['9'];
    const { fake, provider } = await setup({}, { workflow: withoutOutput });
    const error = await switchyardFailure(provider.generate(request));

    expect(error.code).toBe('SY_ERR_UPSTREAM_BAD_REQUEST');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/Prompt has no outputs/);
    expect(fake.jobs).toHaveLength(0);
    expect(countRequests(fake, '/history')).toBe(0);
  });

  it('maps node_errors for an unknown checkpoint to SY_ERR_UPSTREAM_BAD_REQUEST', async () => {
    const { provider } = await setup();
    const error = await switchyardFailure(provider.generate({ ...request, model: 'missing.safetensors' }));

    expect(error.code).toBe('SY_ERR_UPSTREAM_BAD_REQUEST');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/failed validation/);
  });

  it('maps an execution error in the history to a non-retryable SY_ERR_UPSTREAM', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'execution-error', message: 'CUDA out of memory at /opt/ComfyUI/models' });
    const error = await switchyardFailure(provider.generate(request));

    expect(error.code).toBe('SY_ERR_UPSTREAM');
    expect(error.status).toBe(502);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('KSampler');
    expect(error.message).not.toContain('/opt/ComfyUI');
    expect(error.details).toMatchObject({ nodeType: 'KSampler', exceptionMessage: expect.stringContaining('CUDA') });
    expect(countRequests(fake, '/view')).toBe(0);
  });

  it('maps a 5xx from ComfyUI to a retryable SY_ERR_UPSTREAM without its body', async () => {
    const { fake, provider } = await setup();
    fake.setBehaviour({ kind: 'error', status: 500, body: 'Traceback: /opt/ComfyUI/server.py secret' });
    const error = await switchyardFailure(provider.generate(request));

    expect(error.code).toBe('SY_ERR_UPSTREAM');
    expect(error.isRetryable).toBe(true);
    expect(error.message).not.toContain('Traceback');
  });

  it('stops polling at once when aborted, and drops the queued job', async () => {
    const { fake, provider } = await setup({ finishDelayMs: 60_000 });
    const controller = new AbortController();
    const pending = provider.generate(request, { signal: controller.signal });
    const outcome = pending.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    await until(() => countRequests(fake, '/history/') >= 2);

    const abortedAt = Date.now();
    controller.abort();
    const error = await outcome;
    expect(Date.now() - abortedAt).toBeLessThan(200);
    expect((error as Error).name).toBe('AbortError');

    await expectPollingStopped(fake);
    await until(() => fake.requests.some((recorded) => recorded.method === 'POST' && recorded.path === '/queue'));
    const deletion = fake.requests.find((recorded) => recorded.path === '/queue');
    expect(deletion?.body).toEqual({ delete: [fake.jobs[0]?.promptId] });
  });

  it('gives up with SY_ERR_UPSTREAM_TIMEOUT when the job outlasts timeoutMs', async () => {
    const { fake, provider } = await setup({ finishDelayMs: 60_000 }, { timeoutMs: 300 });
    const started = Date.now();
    const error = await switchyardFailure(provider.generate(request));

    expect(error.code).toBe('SY_ERR_UPSTREAM_TIMEOUT');
    expect(error.isRetryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expectPollingStopped(fake);
  });

  it('gives up with SY_ERR_UPSTREAM_TIMEOUT when ComfyUI never answers', async () => {
    const { fake, provider } = await setup({}, { timeoutMs: 200 });
    fake.setBehaviour({ kind: 'hang' });
    const error = await switchyardFailure(provider.generate(request));

    expect(error.code).toBe('SY_ERR_UPSTREAM_TIMEOUT');
  });

  it('maps a refused connection to SY_ERR_UPSTREAM_UNAVAILABLE', async () => {
    const provider = createComfyUIProvider({ id: 'comfyui', type: 'comfyui', baseURL: await closedPortUrl() });
    track(provider);

    const error = await switchyardFailure(provider.generate(request));
    expect(error.code).toBe('SY_ERR_UPSTREAM_UNAVAILABLE');
    expect(error.isRetryable).toBe(true);
    expect((await switchyardFailure(provider.health())).code).toBe('SY_ERR_UPSTREAM_UNAVAILABLE');
  });

  it('checks health with /system_stats', async () => {
    const { fake, provider } = await setup();
    await provider.health();
    expect(fake.requests.map((recorded) => recorded.path)).toEqual(['/system_stats']);
  });

  it('sends every request, image downloads included, through the configured proxy', async () => {
    const proxy = await startTestHttpProxy();
    track(proxy);
    const { fake } = await setup();
    const provider = createImageProvider({
      id: 'comfyui',
      type: 'comfyui',
      baseURL: fake.url,
      pollIntervalMs: 20,
      proxy: proxy.url,
      headers: { 'x-gpu-pool': 'a' },
    });
    track(provider);
    const [image] = await provider.generate(request);

    expect(image?.bytes.subarray(0, 8).equals(pngSignature)).toBe(true);
    const host = new URL(fake.url).host;
    // One tunnel per keep-alive connection: at least one for the JSON calls and one for the image download.
    expect(proxy.targets.length).toBeGreaterThanOrEqual(2);
    expect(new Set(proxy.targets)).toEqual(new Set([host]));
    expect(fake.requests.every((recorded) => recorded.headers['x-gpu-pool'] === 'a')).toBe(true);
  });
});
