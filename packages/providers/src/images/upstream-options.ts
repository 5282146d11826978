import type { UpstreamHttpOptions } from '../http';
import type { ImageProviderConfig } from './spec';

/** The shared HTTP client's options for an image provider: credentials, headers, timeout and proxy. */
export function imageHttpOptions(config: ImageProviderConfig): UpstreamHttpOptions {
  const options: UpstreamHttpOptions = { providerId: config.id, baseURL: config.baseURL };
  if (config.apiKey !== undefined) options.apiKey = config.apiKey;
  if (config.headers !== undefined) options.headers = config.headers;
  if (config.timeoutMs !== undefined) options.timeoutMs = config.timeoutMs;
  if (config.proxy !== undefined) options.proxy = config.proxy;
  return options;
}
