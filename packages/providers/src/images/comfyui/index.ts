import { randomInt, randomUUID } from 'node:crypto';
import { SwitchyardError } from '@switchyard/core';
import { createUpstreamHttpClient } from '../../http';
import { createBinaryDownloader } from '../binary-download';
import { createGenerationDeadline, sleep } from '../generation-deadline';
import { imageMimeType } from '../image-bytes';
import { createProgressReporter } from '../progress';
import {
  type GeneratedImage,
  type ImageGenerateOptions,
  type ImageProvider,
  type ImageProviderConfig,
  type ImageRequest,
  imageProviderSpecVersion,
} from '../spec';
import { imageHttpOptions } from '../upstream-options';
import { type ComfyImageReference, readHistory, readPromptId, viewPath } from './translate';
import { defaultSdxlWorkflow, fillWorkflow, parseWorkflowTemplate } from './workflow';

export const defaultPollIntervalMs = 500;
/** Our request to drop a job nobody waits for any more must not hold up shutdown. */
const cancelTimeoutMs = 5_000;

/**
 * ComfyUI's HTTP API: queue the filled workflow with POST /prompt, poll
 * GET /history/{id} until it lists the outputs, then fetch each file from
 * /view. Polling instead of the websocket keeps one transport (with its
 * proxy and timeouts) and survives reverse proxies that drop upgrades.
 */
export function createComfyUIProvider(config: ImageProviderConfig): ImageProvider {
  // A broken template is a configuration error, so it fails at boot rather than on the first request.
  const template = config.workflow === undefined ? defaultSdxlWorkflow() : parseWorkflowTemplate(config.workflow);
  const httpOptions = imageHttpOptions(config);
  const http = createUpstreamHttpClient(httpOptions);
  const downloader = createBinaryDownloader(httpOptions);
  const context = http.errorContext;
  const pollIntervalMs = Math.max(10, config.pollIntervalMs ?? defaultPollIntervalMs);
  const base = new URL(config.baseURL);
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const cancellations = new Set<Promise<void>>();

  /**
   * Best effort, in the background: the caller has already been answered.
   * Only a queued job is deleted; ComfyUI's /interrupt would stop whatever
   * job is running on older servers, which may be someone else's.
   */
  function dropQueuedJob(promptId: string): void {
    const attempt = http
      .send({
        method: 'POST',
        path: '/queue',
        body: { delete: [promptId] },
        signal: AbortSignal.timeout(cancelTimeoutMs),
      })
      .then((answer) => answer.discard())
      .catch(() => undefined);
    cancellations.add(attempt);
    void attempt.finally(() => cancellations.delete(attempt));
  }

  async function waitForImages(promptId: string, signal: AbortSignal): Promise<ComfyImageReference[]> {
    while (true) {
      await sleep(pollIntervalMs, signal);
      const answer = await http.send({ method: 'GET', path: `/history/${encodeURIComponent(promptId)}`, signal });
      const state = readHistory(await answer.json(), promptId, context);
      if (state.state === 'failed') throw state.error;
      if (state.state === 'done') return state.images;
    }
  }

  async function generate(request: ImageRequest, options: ImageGenerateOptions = {}): Promise<GeneratedImage[]> {
    if (typeof request.prompt !== 'string' || request.prompt.trim() === '') {
      throw new SwitchyardError('SY_ERR_VALIDATION', 'An image prompt must not be empty', { isRetryable: false });
    }
    const seed = request.seed ?? randomInt(0, 2 ** 32);
    const workflow = fillWorkflow(template, {
      prompt: request.prompt,
      negativePrompt: request.negativePrompt,
      width: request.width,
      height: request.height,
      steps: request.steps,
      seed,
      cfgScale: request.cfgScale,
      checkpoint: request.model ?? config.model,
    });
    const report = createProgressReporter(options.onProgress);

    const deadline = createGenerationDeadline(context, http.timeoutMs, options.signal);
    let promptId: string | undefined;
    let jobFinished = false;
    try {
      const submitted = await http.send({
        method: 'POST',
        path: '/prompt',
        body: { prompt: workflow, client_id: randomUUID() },
        signal: deadline.signal,
      });
      promptId = readPromptId(await submitted.json(), context);
      report(0);
      const references = await waitForImages(promptId, deadline.signal);
      jobFinished = true;
      const images: GeneratedImage[] = [];
      for (const reference of references) {
        const url = new URL(`${pathPrefix}${viewPath(reference)}`, base.origin);
        const file = await downloader.download(url, deadline.signal);
        images.push({ bytes: file.bytes, mimeType: imageMimeType(file.contentType, file.bytes), seed });
      }
      report(1);
      return images;
    } catch (error) {
      if (promptId !== undefined && !jobFinished && deadline.signal.aborted) dropQueuedJob(promptId);
      throw error;
    } finally {
      deadline.dispose();
    }
  }

  return {
    specVersion: imageProviderSpecVersion,
    id: config.id,
    type: 'comfyui',
    generate,
    async health(signal) {
      const answer = await http.send({ method: 'GET', path: '/system_stats', signal });
      await answer.json();
    },
    async close() {
      await Promise.allSettled([...cancellations]);
      await Promise.all([http.close(), downloader.close()]);
    },
  };
}
