import { SwitchyardError } from '@switchyard/core';
import { createAnthropicProvider } from './anthropic';
import { createEchoProvider } from './echo';
import { createGeminiProvider } from './gemini';
import { createOllamaProvider } from './ollama';
import { createOpenAICompatibleProvider } from './openai-compatible';
import type { ProviderAdapter, ProviderConfig } from './spec';

export function createProvider(config: ProviderConfig): ProviderAdapter {
  switch (config.type) {
    case 'openai-compatible':
      return createOpenAICompatibleProvider(config);
    case 'ollama':
      return createOllamaProvider(config);
    case 'anthropic':
      return createAnthropicProvider(config);
    case 'gemini':
      return createGeminiProvider(config);
    case 'echo':
      return createEchoProvider(config);
    default: {
      // Configs come from YAML and env at run time, so the type system alone cannot rule this out.
      const type: string = (config as { type: string }).type;
      throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown provider type "${type}" for provider ${config.id}`, {
        isRetryable: false,
      });
    }
  }
}
