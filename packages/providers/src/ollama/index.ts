import { createProviderHttpClient } from '../http';
import {
  type CallOptions,
  type ChatCompletionChunk,
  type ChatRequest,
  type ProviderAdapter,
  type ProviderConfig,
  providerSpecVersion,
} from '../spec';
import { readJsonLines } from '../stream-reader';
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
    const translator = createChunkTranslator(request, context);
    // A stream without its `done:true` line was cut off; passing it on as complete would hide that.
    const stream = readJsonLines(response.body(), { context, endMarker: 'its final line' });
    for await (const lines of stream) {
      for (const line of lines) {
        yield* translator.translate(line);
        if (translator.done) {
          stream.end();
          break;
        }
      }
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
