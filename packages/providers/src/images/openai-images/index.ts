import { SwitchyardError } from '@switchyard/core';
import { type UpstreamErrorContext, upstreamProtocolError } from '../../errors';
import { createUpstreamHttpClient } from '../../http';
import { type BinaryDownloader, createBinaryDownloader } from '../binary-download';
import { createGenerationDeadline } from '../generation-deadline';
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
import { defaultOpenAIImageModel, fromUpstreamImages, toUpstreamImageRequest, type UpstreamImage } from './translate';

/** OpenAI's images API and servers that copy it (LocalAI, some vLLM front-ends). `baseURL` includes `/v1`. */
export function createOpenAIImagesProvider(config: ImageProviderConfig): ImageProvider {
  const httpOptions = imageHttpOptions(config);
  const http = createUpstreamHttpClient(httpOptions);
  const downloader = createBinaryDownloader(httpOptions);
  const context = http.errorContext;
  const allowedOrigin = new URL(config.baseURL).origin;

  async function generate(request: ImageRequest, options: ImageGenerateOptions = {}): Promise<GeneratedImage[]> {
    if (typeof request.prompt !== 'string' || request.prompt.trim() === '') {
      throw new SwitchyardError('SY_ERR_VALIDATION', 'An image prompt must not be empty', { isRetryable: false });
    }
    const model = request.model ?? config.model ?? defaultOpenAIImageModel;
    const body = toUpstreamImageRequest(request, model);
    const report = createProgressReporter(options.onProgress);
    const deadline = createGenerationDeadline(context, http.timeoutMs, options.signal);
    try {
      report(0);
      const answer = await http.send({ method: 'POST', path: '/images/generations', body, signal: deadline.signal });
      const upstreamImages = fromUpstreamImages(await answer.json(), context);
      const images: GeneratedImage[] = [];
      for (const upstreamImage of upstreamImages) {
        images.push(await toGeneratedImage(upstreamImage, context, allowedOrigin, downloader, deadline.signal));
      }
      report(1);
      return images;
    } finally {
      deadline.dispose();
    }
  }

  return {
    specVersion: imageProviderSpecVersion,
    id: config.id,
    type: 'openai-images',
    generate,
    async health(signal) {
      const answer = await http.send({ method: 'GET', path: '/models', signal });
      await answer.discard();
    },
    async close() {
      await Promise.all([http.close(), downloader.close()]);
    },
  };
}

async function toGeneratedImage(
  upstreamImage: UpstreamImage,
  context: UpstreamErrorContext,
  allowedOrigin: string,
  downloader: BinaryDownloader,
  signal: AbortSignal,
): Promise<GeneratedImage> {
  const extra = upstreamImage.revisedPrompt === undefined ? {} : { revisedPrompt: upstreamImage.revisedPrompt };
  if (upstreamImage.b64Json !== undefined) {
    const bytes = Buffer.from(upstreamImage.b64Json, 'base64');
    if (bytes.length === 0) {
      throw upstreamProtocolError(context, 'answered with empty base64 image data');
    }
    return { bytes, mimeType: imageMimeType(undefined, bytes), ...extra };
  }
  const url = parseUrl(upstreamImage.url);
  // The URL comes from the upstream's answer: fetching wherever it points would let a compromised or
  // misconfigured upstream make us request internal addresses (SSRF), so only its own origin is trusted.
  if (url === undefined || url.origin !== allowedOrigin) {
    throw new SwitchyardError(
      'SY_ERR_UPSTREAM',
      `Upstream ${context.providerId} answered with an image URL outside its own origin; Switchyard only downloads images from the configured baseURL's origin`,
      {
        status: 502,
        isRetryable: false,
        details: { provider: context.providerId, imageOrigin: url?.origin ?? 'invalid' },
      },
    );
  }
  const file = await downloader.download(url, signal);
  return { bytes: file.bytes, mimeType: imageMimeType(file.contentType, file.bytes), ...extra };
}

function parseUrl(value: string | undefined): URL | undefined {
  if (value === undefined) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
