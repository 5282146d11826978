import { upstreamProtocolError } from '../errors';
import { createProviderHttpClient } from '../http';
import { createLineSplitter } from '../ndjson';
import {
  type CallOptions,
  type ChatCompletionChunk,
  type ChatRequest,
  type ProviderAdapter,
  type ProviderConfig,
  providerSpecVersion,
} from '../spec';
import {
  createChunkTranslator,
  fromOllamaEmbed,
  fromOllamaResponse,
  fromOllamaTags,
  toOllamaEmbedRequest,
  toOllamaRequest,
} from './translate';

/** Ollama's native API; `baseURL` is the server root, e.g. `http://127.0.0.1:11434`. */
export function createOllamaProvider(config: ProviderConfig): ProviderAdapter {
  const http = createProviderHttpClient(config);
  const context = http.errorContext;

  async function* streamChat(request: ChatRequest, options: CallOptions = {}): AsyncGenerator<ChatCompletionChunk> {
    const body = toOllamaRequest(request, true);
    const response = await http.send({
      method: 'POST',
      path: '/api/chat',
      body,
      signal: options.signal,
      streaming: true,
    });
    const lines = createLineSplitter();
    const translator = createChunkTranslator(request, context);
    try {
      for await (const text of response.chunks()) {
        for (const line of lines.push(text)) {
          if (!translator.done) yield* translator.translate(line);
        }
      }
      for (const line of lines.end()) {
        if (!translator.done) yield* translator.translate(line);
      }
    } catch (error) {
      // The answer was complete; trouble while draining the connection is not the caller's.
      if (!translator.done) throw error;
    }
    if (!translator.done) {
      // A stream without its `done:true` line was cut off; passing it on as complete would hide that.
      throw upstreamProtocolError(context, 'ended the stream before its final line');
    }
  }

  return {
    specVersion: providerSpecVersion,
    id: config.id,
    type: config.type,
    async listModels(options = {}) {
      const response = await http.send({ method: 'GET', path: '/api/tags', signal: options.signal });
      return fromOllamaTags(await response.json(), context);
    },
    async chat(request, options = {}) {
      const body = toOllamaRequest(request, false);
      const response = await http.send({ method: 'POST', path: '/api/chat', body, signal: options.signal });
      return fromOllamaResponse(await response.json(), request, context);
    },
    streamChat,
    async embed(request, options = {}) {
      const response = await http.send({
        method: 'POST',
        path: '/api/embed',
        body: toOllamaEmbedRequest(request),
        signal: options.signal,
      });
      return fromOllamaEmbed(await response.json(), request, context);
    },
    close: () => http.close(),
  };
}
