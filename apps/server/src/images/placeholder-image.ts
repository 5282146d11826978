import { createHash } from 'node:crypto';
import { type GeneratedImage, type ImageProvider, type ImageRequest, solidColorPng } from '@switchyard/providers';

/**
 * The built-in `test-image` model, the image counterpart of `echo`: a solid
 * colour derived from the prompt and seed, at the requested size. It lets the
 * embedded defaults exercise quotas, jobs and storage with no image server.
 */
export function createPlaceholderImageProvider(): ImageProvider {
  return {
    specVersion: 1,
    id: 'test-image',
    type: 'comfyui',
    async generate(request: ImageRequest): Promise<GeneratedImage[]> {
      const digest = createHash('sha256')
        .update(`${request.prompt}\u0000${request.seed ?? 0}`)
        .digest();
      const color: [number, number, number] = [digest[0] ?? 0, digest[1] ?? 0, digest[2] ?? 0];
      return [
        { bytes: solidColorPng(color, request.width, request.height), mimeType: 'image/png', seed: request.seed ?? 0 },
      ];
    },
    async health() {},
    async close() {},
  } as ImageProvider;
}
