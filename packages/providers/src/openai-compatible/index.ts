import { upstreamProtocolError } from '../errors';
import { createProviderHttpClient } from '../http';
import { withRawJson } from '../raw-json';
import {
  type CallOptions,
  type ChatCompletionChunk,
  type ChatRequest,
  type ProviderAdapter,
  type ProviderConfig,
  providerSpecVersion,
  type TextCompletionChunk,
  type TextCompletionRequest,
} from '../spec';
import { readServerSentEvents } from '../stream-reader';
import {
  fromUpstreamChunk,
  fromUpstreamCompletion,
  fromUpstreamEmbeddings,
  fromUpstreamModels,
  fromUpstreamModeration,
  fromUpstreamTextChunk,
  fromUpstreamTextCompletion,
  toUpstreamEmbeddingsRequest,
  toUpstreamRequest,
  toUpstreamTextRequest,
} from './translate';

/** OpenAI and every server that copies its API: vLLM, xAI, OpenRouter, LM Studio. `baseURL` includes `/v1`. */
export function createOpenAICompatibleProvider(config: ProviderConfig): ProviderAdapter {
  const http = createProviderHttpClient(config);
  const context = http.errorContext;

  /** POSTs a streaming request and yields each SSE data event, read by `read`, until `[DONE]`. */
  async function* streamEvents<Chunk>(
    path: string,
    body: unknown,
    read: (data: string) => Chunk,
    options: CallOptions,
  ): AsyncGenerator<Chunk> {
    const response = await http.send({ method: 'POST', path, body, signal: options.signal, streaming: true });
    const stream = readServerSentEvents(response.body(), { context, endMarker: '[DONE]' });
    for await (const events of stream) {
      for (const event of events) {
        const data = event.data.trim();
        if (data === '[DONE]') {
          stream.end();
          break;
        }
        if (data !== '') yield read(event.data);
      }
    }
  }

  function streamChat(request: ChatRequest, options: CallOptions = {}): AsyncGenerator<ChatCompletionChunk> {
    return streamEvents(
      '/chat/completions',
      toUpstreamRequest(request, true),
      (data) => fromUpstreamChunk(data, request, context),
      options,
    );
  }

  function streamText(request: TextCompletionRequest, options: CallOptions = {}): AsyncGenerator<TextCompletionChunk> {
    return streamEvents(
      '/completions',
      toUpstreamTextRequest(request, true),
      (data) => fromUpstreamTextChunk(data, request, context),
      options,
    );
  }

  return {
    specVersion: providerSpecVersion,
    id: config.id,
    type: config.type,
    async listModels(options = {}) {
      const response = await http.send({ method: 'GET', path: '/models', signal: options.signal });
      return fromUpstreamModels(await response.json(), context);
    },
    async chat(request, options = {}) {
      const response = await http.send({
        method: 'POST',
        path: '/chat/completions',
        body: toUpstreamRequest(request, false),
        signal: options.signal,
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw upstreamProtocolError(context, 'answered with invalid JSON', error);
      }
      const completion = fromUpstreamCompletion(parsed, request, context);
      // Unchanged by the translation: the gateway may send the upstream's bytes as they came.
      return completion === parsed ? withRawJson(completion, text) : completion;
    },
    streamChat,
    async embed(request, options = {}) {
      const response = await http.send({
        method: 'POST',
        path: '/embeddings',
        body: toUpstreamEmbeddingsRequest(request),
        signal: options.signal,
      });
      return fromUpstreamEmbeddings(await response.json(), request, context);
    },
    async completeText(request, options = {}) {
      const response = await http.send({
        method: 'POST',
        path: '/completions',
        body: toUpstreamTextRequest(request, false),
        signal: options.signal,
      });
      return fromUpstreamTextCompletion(await response.json(), request, context);
    },
    streamText,
    async moderate(request, options = {}) {
      const response = await http.send({
        method: 'POST',
        path: '/moderations',
        body: { model: request.model, input: request.input },
        signal: options.signal,
      });
      return fromUpstreamModeration(await response.json(), request, context);
    },
    close: () => http.close(),
  };
}
