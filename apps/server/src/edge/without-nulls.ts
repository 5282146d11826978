import type { WithoutNulls } from '@switchyard/providers';

/**
 * A request body with every top-level field that was sent as null removed. OpenAI clients send
 * `stop: null`, `temperature: null`, ... for "not set"; adapters (Anthropic, Gemini, Ollama) see
 * a value or nothing, never a null they would pass on or trip over.
 */
export function withoutNulls<T extends object>(body: T): WithoutNulls<T> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null)) as WithoutNulls<T>;
}
