import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { upstreamProtocolError } from '../errors';
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
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });
    const translator = createGeminiStreamTranslator(request, context);
    try {
      for await (const text of response.chunks()) {
        parser.feed(text);
        while (events.length > 0) {
          const event = events.shift() as EventSourceMessage;
          if (event.data.trim() !== '') yield* translator.translate(event.data);
        }
      }
    } catch (error) {
      // After the finish reason the answer is complete; trouble while draining the connection is not the caller's.
      if (!translator.finished) throw error;
    }
    if (!translator.finished) {
      // Gemini's only end marker is the finish reason; a stream without one was cut off.
      throw upstreamProtocolError(context, 'ended the stream before a finish reason');
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
