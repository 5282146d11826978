import type { WebSearchConfig } from '@switchyard/core';
import { createBraveProvider } from './brave-provider';
import { createSearxngProvider } from './searxng-provider';
import { createTavilyProvider } from './tavily-provider';
import type { WebSearchProvider } from './web-search-provider';

/** The provider the config's `webSearch:` section names, or null when there is none. */
export function createWebSearchProvider(config: WebSearchConfig | null): WebSearchProvider | null {
  if (!config) return null;
  const options = {
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
  };
  if (config.type === 'brave') return createBraveProvider(options);
  if (config.type === 'tavily') return createTavilyProvider(options);
  return createSearxngProvider(options);
}
