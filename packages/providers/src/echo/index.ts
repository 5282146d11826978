import { setTimeout as sleep } from 'node:timers/promises';
import { abortError } from '../errors';
import {
  type CallOptions,
  type ChatCompletionChunk,
  type ChatRequest,
  type ProviderAdapter,
  type ProviderConfig,
  providerSpecVersion,
} from '../spec';
import { createEchoChunkFactory, echoAnswer, echoCompletion, echoUsage, splitIntoWords } from './translate';

/** Built-in test model: no network, answers with the last user message. */
export function createEchoProvider(config: ProviderConfig): ProviderAdapter {
  const delayMs = Math.max(0, config.echoDelayMs ?? 0);

  async function pause(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    if (delayMs === 0) return;
    try {
      await sleep(delayMs, undefined, signal === undefined ? {} : { signal });
    } catch {
      throw abortError(signal);
    }
  }

  async function* streamChat(request: ChatRequest, options: CallOptions = {}): AsyncGenerator<ChatCompletionChunk> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal);
    const answer = echoAnswer(request);
    const chunk = createEchoChunkFactory(request);
    yield chunk({ role: 'assistant', content: '' });
    for (const word of splitIntoWords(answer)) {
      await pause(signal);
      yield chunk({ content: word });
    }
    if (signal?.aborted) throw abortError(signal);
    yield chunk({}, 'stop', echoUsage(request, answer));
  }

  return {
    specVersion: providerSpecVersion,
    id: config.id,
    type: config.type,
    async listModels(options = {}) {
      if (options.signal?.aborted) throw abortError(options.signal);
      return [{ id: 'echo', ownedBy: 'switchyard' }];
    },
    async chat(request, options = {}) {
      const answer = echoAnswer(request);
      // Same pacing as the stream, so timeouts behave alike in both modes.
      for (const _word of splitIntoWords(answer)) await pause(options.signal);
      if (options.signal?.aborted) throw abortError(options.signal);
      return echoCompletion(request, answer);
    },
    streamChat,
    async close() {},
  };
}
