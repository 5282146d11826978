import { SwitchyardError } from '@switchyard/core';
import { createOpenAIAudioProvider } from './openai-audio';
import type { AudioProvider, AudioProviderConfig } from './spec';
import { createWhisperCppProvider } from './whisper-cpp';

export function createAudioProvider(config: AudioProviderConfig): AudioProvider {
  switch (config.type) {
    case 'openai-compatible':
      return createOpenAIAudioProvider(config);
    case 'whisper-cpp':
      return createWhisperCppProvider(config);
    default: {
      // Configs come from YAML at run time, so the type system alone cannot rule this out.
      const type: string = (config as { type: string }).type;
      throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown audio provider type "${type}" for ${config.id}`, {
        isRetryable: false,
      });
    }
  }
}
