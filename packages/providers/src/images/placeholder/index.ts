import { type ImageProvider, type ImageProviderConfig, imageProviderSpecVersion } from '../spec';
import { placeholderImage } from './translate';

export const placeholderImageModelId = 'test-image';

/**
 * The built-in `test-image` model, the image counterpart of `echo`: a solid
 * colour derived from the prompt and seed, at the requested size. It lets the
 * embedded defaults exercise quotas, jobs and storage with no image server,
 * so it has no upstream to reach, time out or close.
 */
export function createPlaceholderImageProvider(
  config: Pick<ImageProviderConfig, 'id'> = { id: placeholderImageModelId },
): ImageProvider {
  return {
    specVersion: imageProviderSpecVersion,
    id: config.id,
    type: 'placeholder',
    async generate(request) {
      return [placeholderImage(request)];
    },
    async health() {},
    async close() {},
  };
}
