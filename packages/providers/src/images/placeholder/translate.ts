import { createHash } from 'node:crypto';
import { solidColorPng } from '../solid-png';
import type { GeneratedImage, ImageRequest } from '../spec';

/** The colour a request stands for: the first bytes of a hash of its prompt and seed, so it repeats exactly. */
export function placeholderColor(request: Pick<ImageRequest, 'prompt' | 'seed'>): [number, number, number] {
  const digest = createHash('sha256')
    .update(`${request.prompt}\u0000${request.seed ?? 0}`)
    .digest();
  return [digest[0] ?? 0, digest[1] ?? 0, digest[2] ?? 0];
}

/** A solid-colour PNG at the requested size, in place of what a model would draw. */
export function placeholderImage(request: ImageRequest): GeneratedImage {
  return {
    bytes: solidColorPng(placeholderColor(request), request.width, request.height),
    mimeType: 'image/png',
    seed: request.seed ?? 0,
  };
}
