import {
  OllamaChatRequest,
  OllamaChatResponse,
  OllamaEmbedRequest,
  OllamaEmbedResponse,
  OllamaErrorResponse,
  OllamaGenerateRequest,
  OllamaGenerateResponse,
  OllamaLegacyEmbeddingsRequest,
  OllamaLegacyEmbeddingsResponse,
  OllamaShowRequest,
  OllamaShowResponse,
  OllamaTagList,
  OllamaVersion,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { ChatCompletionChunk, ChatRequest } from '@switchyard/providers';
import type { ModelRoute } from '@switchyard/routing';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import { errorBody, normalizeError } from '../edge/error-handler';
import type { RouteBehaviour } from '../edge/principal';
import { sendEventStream } from '../edge/sse';
import type { GatewayDependencies } from './gateway-dependencies';
import { completeIngressChat, resolveIngressModel, startIngressChatStream } from './ingress-chat-http';
import { visibleModels } from './model-list';
import {
  chatRequestOfOllamaChat,
  chatRequestOfOllamaGenerate,
  createOllamaChunkReader,
  doneReasonOf,
  ollamaChatMessageOf,
  ollamaTimings,
} from './ollama-translate';

/**
 * These paths sit under /api/, beside the web app's cookie routes, but take keys only (Bearer): a
 * session cookie is never read here, so a page cannot spend a signed-in user's quota through them.
 */
const chatBehaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'chat', errorShape: 'ollama', noSession: true };
const listBehaviour: RouteBehaviour = { auth: 'optional', errorShape: 'ollama', noSession: true };
const versionBehaviour: RouteBehaviour = { auth: 'none', errorShape: 'ollama', noSession: true, usage: false };
const errorResponses = {
  400: OllamaErrorResponse,
  401: OllamaErrorResponse,
  403: OllamaErrorResponse,
  404: OllamaErrorResponse,
  429: OllamaErrorResponse,
};
const security = [{ bearer: [] }, {}];
const tags = ['Ollama-compatible'];
const ndjson = 'application/x-ndjson';

/** The Ollama API version whose shapes these routes speak (clients check it for features). */
export const ollamaApiVersion = '0.12.0';

/** Ollama clients often add the default tag: `gpt:latest` is `gpt` when no model has that exact id. */
function modelIdOf(gateway: GatewayDependencies, name: string): string {
  if (gateway.models.resolve(name) || !name.endsWith(':latest')) return name;
  return name.slice(0, -':latest'.length);
}

function details(model: ModelRoute) {
  return {
    parent_model: '',
    format: '',
    family: model.providerId,
    families: [model.providerId],
    parameter_size: '',
    quantization_level: '',
  };
}

const bootTime = new Date().toISOString();

/** Ollama's API in front of every provider: Ollama clients and tools get keys, limits and logging. */
export function registerOllamaRoutes(app: FastifyInstance, gateway: GatewayDependencies): void {
  function streamLines(
    request: FastifyRequest,
    reply: FastifyReply,
    chunks: AsyncIterable<ChatCompletionChunk>,
    line: (text: string, toolCalls?: unknown) => Record<string, unknown>,
    final: (doneReason: string, timings: ReturnType<typeof ollamaTimings>) => Record<string, unknown>,
    startedAt: number,
  ): FastifyReply {
    const reader = createOllamaChunkReader();
    return sendEventStream(
      reply,
      chunks,
      {
        frame(chunk) {
          const text = reader.read(chunk);
          const finished = chunk.choices[0]?.finish_reason;
          const toolCalls = finished ? reader.takeToolCalls() : undefined;
          if (text === '' && !toolCalls) return null;
          return `${JSON.stringify(line(text, toolCalls))}\n`;
        },
        end() {
          const toolCalls = reader.takeToolCalls();
          const pending = toolCalls ? `${JSON.stringify(line('', toolCalls))}\n` : '';
          return `${pending}${JSON.stringify(final(doneReasonOf(reader.finish()), ollamaTimings(reader.usage(), startedAt)))}\n`;
        },
        error(error) {
          const normalized = normalizeError(error);
          request.log.warn({ code: normalized.code }, 'stream ended by an upstream error');
          return `${JSON.stringify(errorBody(normalized, 'ollama', gateway.secrets))}\n`;
        },
      },
      ndjson,
    );
  }

  app.get(
    '/api/version',
    {
      config: { behaviour: versionBehaviour },
      schema: { tags, summary: 'Ollama API version', response: { 200: OllamaVersion } },
    },
    async () => ({ version: ollamaApiVersion }),
  );

  app.get(
    '/api/tags',
    {
      config: { behaviour: listBehaviour },
      schema: {
        tags,
        summary: 'List models (Ollama)',
        description: 'Every chat and embedding model of this environment, of any provider, as Ollama lists models.',
        security,
        response: { 200: OllamaTagList, ...errorResponses },
      },
    },
    async (request) => ({
      models: visibleModels(gateway, request.principal?.environment ?? 'prod').map((model) => ({
        name: model.id,
        model: model.id,
        modified_at: bootTime,
        size: 0,
        digest: '',
        details: details(model),
      })),
    }),
  );

  app.get(
    '/api/ps',
    {
      config: { behaviour: listBehaviour },
      schema: {
        tags,
        summary: 'Running models (Ollama): always none, models run upstream',
        security,
        response: { 200: OllamaTagList, ...errorResponses },
      },
    },
    async () => ({ models: [] }),
  );

  app.post<{ Body: OllamaShowRequest }>(
    '/api/show',
    {
      config: { behaviour: listBehaviour },
      schema: {
        tags,
        summary: 'Show a model (Ollama)',
        security,
        body: OllamaShowRequest,
        response: { 200: OllamaShowResponse, ...errorResponses },
      },
    },
    async (request) => {
      const name = request.body.model ?? request.body.name;
      if (!name) throw new SwitchyardError('SY_ERR_VALIDATION', 'Send the model name in `model`');
      const route = resolveIngressModel(gateway, request, modelIdOf(gateway, name));
      request.usageInfo = null;
      return {
        modelfile: '',
        parameters: '',
        template: '',
        details: details(route),
        model_info: {},
        capabilities:
          route.kind === 'chat' ? ['completion', 'tools', 'vision'] : route.kind === 'embedding' ? ['embedding'] : [],
        modified_at: bootTime,
      };
    },
  );

  app.post<{ Body: OllamaChatRequest }>(
    '/api/chat',
    {
      config: { behaviour: chatBehaviour },
      schema: {
        tags,
        summary: 'Chat (Ollama; streamed as NDJSON unless `stream: false`)',
        description:
          "Ollama's chat request and response, routed to any model of /api/tags (of any provider). Ollama " +
          'streams by default: one JSON object per line (application/x-ndjson), the last with `done: true`.',
        security,
        body: OllamaChatRequest,
        response: { 200: OllamaChatResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const startedAt = performance.now();
      const body = request.body;
      const route = resolveIngressModel(gateway, request, modelIdOf(gateway, body.model));
      const chatRequest = chatRequestOfOllamaChat(body);
      if (body.stream === false) {
        const answer = await completeIngressChat(gateway, request, reply, route, chatRequest);
        return {
          model: body.model,
          created_at: new Date().toISOString(),
          message: ollamaChatMessageOf(answer.completion),
          done: true,
          done_reason: doneReasonOf(answer.completion.choices[0]?.finish_reason ?? 'stop'),
          ...ollamaTimings(answer.completion.usage, startedAt),
        };
      }
      const chunks = await startIngressChatStream(gateway, request, reply, route, chatRequest);
      return streamLines(
        request,
        reply,
        chunks,
        (text, toolCalls) => ({
          model: body.model,
          created_at: new Date().toISOString(),
          message: { role: 'assistant', content: text, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
          done: false,
        }),
        (doneReason, timings) => ({
          model: body.model,
          created_at: new Date().toISOString(),
          message: { role: 'assistant', content: '' },
          done: true,
          done_reason: doneReason,
          ...timings,
        }),
        startedAt,
      );
    },
  );

  app.post<{ Body: OllamaGenerateRequest }>(
    '/api/generate',
    {
      config: { behaviour: chatBehaviour },
      schema: {
        tags,
        summary: 'Generate a completion for a prompt (Ollama; streamed as NDJSON unless `stream: false`)',
        description:
          'The prompt (with `system` and `images`) becomes one user turn routed like any chat. An empty prompt ' +
          'answers at once with `done_reason: "load"`, as Ollama does when asked to load a model.',
        security,
        body: OllamaGenerateRequest,
        response: { 200: OllamaGenerateResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const startedAt = performance.now();
      const body = request.body;
      const route = resolveIngressModel(gateway, request, modelIdOf(gateway, body.model));
      if (!body.prompt && !body.images?.length) {
        return {
          model: body.model,
          created_at: new Date().toISOString(),
          response: '',
          done: true,
          done_reason: 'load',
        };
      }
      const chatRequest: ChatRequest = chatRequestOfOllamaGenerate(body);
      if (body.stream === false) {
        const answer = await completeIngressChat(gateway, request, reply, route, chatRequest);
        const content = answer.completion.choices[0]?.message.content;
        return {
          model: body.model,
          created_at: new Date().toISOString(),
          response: typeof content === 'string' ? content : '',
          done: true,
          done_reason: doneReasonOf(answer.completion.choices[0]?.finish_reason ?? 'stop'),
          ...ollamaTimings(answer.completion.usage, startedAt),
        };
      }
      const chunks = await startIngressChatStream(gateway, request, reply, route, chatRequest);
      return streamLines(
        request,
        reply,
        chunks,
        (text) => ({ model: body.model, created_at: new Date().toISOString(), response: text, done: false }),
        (doneReason, timings) => ({
          model: body.model,
          created_at: new Date().toISOString(),
          response: '',
          done: true,
          done_reason: doneReason,
          ...timings,
        }),
        startedAt,
      );
    },
  );

  async function embed(
    request: FastifyRequest,
    reply: FastifyReply,
    model: string,
    input: string | string[],
    dimensions?: number,
  ) {
    const route = resolveIngressModel(gateway, request, modelIdOf(gateway, model));
    const routed = await gateway.router.embed(
      route,
      { model: route.id, input, ...(dimensions !== undefined ? { dimensions } : {}) },
      clientDisconnectSignal(request, reply),
      request.log,
    );
    reply.header('x-switchyard-model', routed.deployment.id);
    request.usageInfo = { model: route.id, promptTokens: routed.value.usage.prompt_tokens, completionTokens: 0 };
    return routed.value;
  }

  app.post<{ Body: OllamaEmbedRequest }>(
    '/api/embed',
    {
      config: { behaviour: chatBehaviour },
      schema: {
        tags,
        summary: 'Embed text (Ollama)',
        security,
        body: OllamaEmbedRequest,
        response: { 200: OllamaEmbedResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const startedAt = performance.now();
      const result = await embed(request, reply, request.body.model, request.body.input, request.body.dimensions);
      return {
        model: request.body.model,
        embeddings: result.data.map((item) => item.embedding),
        total_duration: Math.round((performance.now() - startedAt) * 1e6),
        load_duration: 0,
        prompt_eval_count: result.usage.prompt_tokens,
      };
    },
  );

  app.post<{ Body: OllamaLegacyEmbeddingsRequest }>(
    '/api/embeddings',
    {
      config: { behaviour: chatBehaviour },
      schema: {
        tags,
        summary: 'Embed one text (Ollama, legacy)',
        security,
        body: OllamaLegacyEmbeddingsRequest,
        response: { 200: OllamaLegacyEmbeddingsResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const result = await embed(request, reply, request.body.model, request.body.prompt);
      return { embedding: result.data[0]?.embedding ?? [] };
    },
  );
}
