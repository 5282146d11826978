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
  anthropicVersion,
  createAnthropicStreamTranslator,
  fromAnthropicMessage,
  fromAnthropicModels,
  toAnthropicRequest,
} from './translate';

export const defaultAnthropicBaseURL = 'https://api.anthropic.com';

/** Pages of the model list followed at most; Anthropic has a few dozen models, so this is never reached. */
const maxModelPages = 20;

/** Anthropic's Messages API; `baseURL` is the server root without `/v1`, e.g. `https://api.anthropic.com`. */
export function createAnthropicProvider(config: ProviderConfig): ProviderAdapter {
  // Configured headers come after these, so an operator can pin another version or add `anthropic-beta`.
  const http = createProviderHttpClient(config, {
    defaultBaseURL: defaultAnthropicBaseURL,
    keyHeader: 'x-api-key',
    headers: { 'anthropic-version': anthropicVersion },
  });
  const context = http.errorContext;

  async function send(request: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      return await http.send(request);
    } catch (error) {
      // Anthropic answers an unknown model with a bare `not_found_error` ("model: x") that the shared mapping cannot recognise.
      if (
        isSwitchyardError(error) &&
        error.details?.upstreamStatus === 404 &&
        error.details.upstreamType === 'not_found_error' &&
        request.path === '/v1/messages'
      ) {
        throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `Upstream ${config.id} does not know this model`, {
          isRetryable: false,
          details: error.details,
          cause: error,
        });
      }
      throw error;
    }
  }

  async function* streamChat(request: ChatRequest, options: CallOptions = {}): AsyncGenerator<ChatCompletionChunk> {
    const response = await send({
      method: 'POST',
      path: '/v1/messages',
      body: toAnthropicRequest(request, true),
      signal: options.signal,
      streaming: true,
    });
    const translator = createAnthropicStreamTranslator(request, context);
    const stream = readServerSentEvents(response.body(), { context, endMarker: 'message_stop' });
    for await (const events of stream) {
      for (const event of events) {
        if (event.data.trim() !== '') yield* translator.translate(event.data);
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
      const models: UpstreamModel[] = [];
      let after: string | undefined;
      for (let page = 0; page < maxModelPages; page += 1) {
        const query = after === undefined ? '' : `&after_id=${encodeURIComponent(after)}`;
        const response = await send({ method: 'GET', path: `/v1/models?limit=1000${query}`, signal: options.signal });
        const answer = fromAnthropicModels(await response.json(), context);
        models.push(...answer.models);
        if (answer.next === undefined) break;
        after = answer.next;
      }
      return models;
    },
    async chat(request, options = {}) {
      const response = await send({
        method: 'POST',
        path: '/v1/messages',
        body: toAnthropicRequest(request, false),
        signal: options.signal,
      });
      return fromAnthropicMessage(await response.json(), request, context);
    },
    streamChat,
    close: () => http.close(),
  };
}
