import { SwitchyardError } from '@switchyard/core';
import { createComfyUIProvider } from './comfyui';
import { createOpenAIImagesProvider } from './openai-images';
import { createPlaceholderImageProvider } from './placeholder';
import type { ImageProvider, ImageProviderConfig } from './spec';

export function createImageProvider(config: ImageProviderConfig): ImageProvider {
  switch (config.type) {
    case 'comfyui':
      return createComfyUIProvider(config);
    case 'openai-images':
      return createOpenAIImagesProvider(config);
    case 'placeholder':
      return createPlaceholderImageProvider(config);
    default: {
      // Configs come from YAML and env at run time, so the type system alone cannot rule this out.
      const type: string = (config as { type: string }).type;
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `Unknown image provider type "${type}" for provider ${config.id}`,
        {
          isRetryable: false,
        },
      );
    }
  }
}
