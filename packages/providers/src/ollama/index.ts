import { createProviderHttpClient } from '../http';
import {
  type CallOptions,
  type ChatCompletionChunk,
  type ChatRequest,
  type ProviderAdapter,
  type ProviderConfig,
  providerSpecVersion,
  type TextCompletionChunk,
  type TextCompletionRequest,
  type Usage,
} from '../spec';
import { readJsonLines } from '../stream-reader';
import { addUsage, createTextCompletionId, promptsOf } from '../text-completion';
import {
  generateChunk,
  generateFinish,
  generateUsage,
  parseGenerateLine,
  readGenerateLine,
  toOllamaGenerateRequest,
} from './generate';
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

  /** /api/generate answers one prompt: several prompts are sent one after another, each its own choice. */
  async function* streamText(
    request: TextCompletionRequest,
    options: CallOptions = {},
  ): AsyncGenerator<TextCompletionChunk> {
    const id = createTextCompletionId();
    let usage: Usage | undefined;
    let model = request.model;
    for (const [index, prompt] of promptsOf(request).entries()) {
      const response = await http.send({
        method: 'POST',
        path: '/api/generate',
        body: toOllamaGenerateRequest(request, prompt, true),
        signal: options.signal,
        streaming: true,
      });
      const stream = readJsonLines(response.body(), { context, endMarker: 'its final line' });
      for await (const lines of stream) {
        for (const text of lines) {
          const line = parseGenerateLine(text, context);
          model = line.model ?? model;
          const chunk = generateChunk(line, id, index, request);
          if (chunk) yield chunk;
          if (line.done === true) {
            usage = addUsage(usage, generateUsage(line));
            stream.end();
            break;
          }
        }
      }
    }
    if (usage)
      yield { id, object: 'text_completion', created: Math.floor(Date.now() / 1000), model, choices: [], usage };
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
    async completeText(request, options = {}) {
      const id = createTextCompletionId();
      const choices = [];
      let usage: Usage | undefined;
      let model = request.model;
      for (const [index, prompt] of promptsOf(request).entries()) {
        const response = await http.send({
          method: 'POST',
          path: '/api/generate',
          body: toOllamaGenerateRequest(request, prompt, false),
          signal: options.signal,
        });
        const line = readGenerateLine(await response.json(), context, false);
        model = line.model ?? model;
        usage = addUsage(usage, generateUsage(line));
        choices.push({ index, text: line.response ?? '', finish_reason: generateFinish(line), logprobs: null });
      }
      return {
        id,
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices,
        ...(usage ? { usage } : {}),
      };
    },
    streamText,
    close: () => http.close(),
  };
}
