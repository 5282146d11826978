import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createProviderHttpClient, type UpstreamRequest, type UpstreamResponse } from '../http';
import {
  type CallOptions,
  type ChatCompletionChunk,
  type ChatRequest,
  type ProviderAdapter,
  type ProviderConfig,
  providerSpecVersion,
  type UpstreamModel,
} from '../spec';
import { readServerSentEvents } from '../stream-reader';
import {
  createGeminiStreamTranslator,
  fromGeminiEmbeddings,
  fromGeminiModels,
  fromGeminiResponse,
  geminiModelResource,
  toGeminiEmbedRequest,
  toGeminiRequest,
} from './translate';

export const defaultGeminiBaseURL = 'https://generativelanguage.googleapis.com';

/** Pages of the model list followed at most, so a misbehaving upstream cannot keep us paging forever. */
const maxModelPages = 20;

function isGenerationPath(path: string): boolean {
  return /:(generateContent|streamGenerateContent|batchEmbedContents)\b/.test(path);
}

/** Google's Gemini API; `baseURL` is the server root without `/v1beta`, e.g. `https://generativelanguage.googleapis.com`. */
export function createGeminiProvider(config: ProviderConfig): ProviderAdapter {
  const http = createProviderHttpClient(config, { defaultBaseURL: defaultGeminiBaseURL, keyHeader: 'x-goog-api-key' });
  const context = http.errorContext;

  async function send(request: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      return await http.send(request);
    } catch (error) {
      if (!isSwitchyardError(error) || error.code !== 'SY_ERR_UPSTREAM_BAD_REQUEST') throw error;
      // Gemini answers a bad key with 400 INVALID_ARGUMENT; the caller's request is fine, our credentials are not.
      if (/API key not valid|API_KEY_INVALID/i.test(error.message)) {
        throw new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${config.id} rejected Switchyard's credentials`, {
          status: 502,
          isRetryable: false,
          details: error.details ?? {},
          cause: error,
        });
      }
      // An unknown model is a 404 whose message ("models/x is not found") the shared mapping cannot recognise.
      if (error.details?.upstreamStatus === 404 && isGenerationPath(request.path)) {
        throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `Upstream ${config.id} does not know this model`, {
          isRetryable: false,
          details: error.details ?? {},
          cause: error,
        });
      }
      throw error;
    }
  }

  async function* streamChat(request: ChatRequest, options: CallOptions = {}): AsyncGenerator<ChatCompletionChunk> {
    const response = await send({
      method: 'POST',
      path: `/v1beta/${geminiModelResource(request.model)}:streamGenerateContent?alt=sse`,
      body: toGeminiRequest(request),
      signal: options.signal,
      streaming: true,
    });
    const translator = createGeminiStreamTranslator(request, context);
    // Gemini's only end marker is the finish reason, and usage may still follow it, so the body is read to its end.
    const stream = readServerSentEvents(response.body(), { context, endMarker: 'a finish reason' });
    for await (const events of stream) {
      for (const event of events) {
        if (event.data.trim() === '') continue;
        let chunks: ChatCompletionChunk[];
        try {
          chunks = translator.translate(event.data);
        } catch (error) {
          // After the finish reason the answer is complete; a broken frame behind it cannot spoil it.
          if (!translator.finished) throw error;
          stream.end();
          break;
        }
        if (translator.finished) stream.complete();
        yield* chunks;
      }
    }
    yield translator.finish();
  }

  const adapter: ProviderAdapter = {
    specVersion: providerSpecVersion,
    id: config.id,
    type: config.type,
    async listModels(options = {}) {
      const models: UpstreamModel[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < maxModelPages; page += 1) {
        const query = pageToken === undefined ? '' : `&pageToken=${encodeURIComponent(pageToken)}`;
        const response = await send({
          method: 'GET',
          path: `/v1beta/models?pageSize=1000${query}`,
          signal: options.signal,
        });
        const answer = fromGeminiModels(await response.json(), context);
        models.push(...answer.models);
        if (answer.next === undefined) break;
        pageToken = answer.next;
      }
      return models;
    },
    async chat(request, options = {}) {
      const response = await send({
        method: 'POST',
        path: `/v1beta/${geminiModelResource(request.model)}:generateContent`,
        body: toGeminiRequest(request),
        signal: options.signal,
      });
      return fromGeminiResponse(await response.json(), request, context);
    },
    streamChat,
    async embed(request, options = {}) {
      const response = await send({
        method: 'POST',
        path: `/v1beta/${geminiModelResource(request.model)}:batchEmbedContents`,
        body: toGeminiEmbedRequest(request),
        signal: options.signal,
      });
      return fromGeminiEmbeddings(await response.json(), request, context);
    },
    close: () => http.close(),
  };
  return adapter;
}
