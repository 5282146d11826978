import { SwitchyardError } from '@switchyard/core';
import { type UpstreamErrorContext, upstreamProtocolError } from '../../errors';
import type { ImageRequest } from '../spec';

export const defaultOpenAIImageModel = 'dall-e-3';

/** One entry of `data` in OpenAI's images answer: exactly one of the two payloads. */
export interface UpstreamImage {
  b64Json?: string;
  url?: string;
  revisedPrompt?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function dimension(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `Image ${name} must be a positive number`, { isRetryable: false });
  }
  return Math.round(value);
}

/**
 * The body of POST /images/generations. Base64 is asked for so the image
 * arrives in the same exchange, instead of as a link to a third-party host.
 * gpt-image models always answer in base64 and reject `response_format`.
 * Seeds, steps and negative prompts have no OpenAI equivalent and are not sent.
 */
export function toUpstreamImageRequest(request: ImageRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model,
    prompt: request.prompt,
    n: 1,
    size: `${dimension(request.width, 'width')}x${dimension(request.height, 'height')}`,
  };
  if (!model.startsWith('gpt-image')) body.response_format = 'b64_json';
  return body;
}

/** `{created, data: [{b64_json | url, revised_prompt}]}` → the images, in order. */
export function fromUpstreamImages(body: unknown, context: UpstreamErrorContext): UpstreamImage[] {
  const data = isRecord(body) ? body.data : undefined;
  if (!Array.isArray(data) || data.length === 0) {
    throw upstreamProtocolError(context, 'answered the image request without any images');
  }
  return data.map((item) => {
    if (!isRecord(item)) throw upstreamProtocolError(context, 'answered the image request with a malformed entry');
    const image: UpstreamImage = {};
    if (typeof item.b64_json === 'string' && item.b64_json !== '') image.b64Json = item.b64_json;
    else if (typeof item.url === 'string' && item.url !== '') image.url = item.url;
    else throw upstreamProtocolError(context, 'answered the image request with an entry that has no image');
    if (typeof item.revised_prompt === 'string' && item.revised_prompt !== '') {
      image.revisedPrompt = item.revised_prompt;
    }
    return image;
  });
}
