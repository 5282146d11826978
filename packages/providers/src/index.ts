export * from './create-provider';
export { createEchoProvider } from './echo';
export * from './errors';
export { createUpstreamHttpClient, defaultTimeoutMs, type UpstreamHttpClient, type UpstreamHttpOptions } from './http';
export { lastUserText, textOfContent } from './message-text';
export { createOllamaProvider } from './ollama';
export { createOpenAICompatibleProvider } from './openai-compatible';
export * from './spec';
