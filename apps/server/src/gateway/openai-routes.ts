import {
  ChatCompletionRequest,
  ModelParams,
  OpenAIErrorResponse,
  OpenAIErrorResponses,
  OpenAIModel,
  OpenAIModelList,
} from '@switchyard/api-schemas';
import { type Environment, SwitchyardError } from '@switchyard/core';
import { type ChatCompletionChunk, type ChatRequest, rawJsonOf } from '@switchyard/providers';
import type { ModelRoute } from '@switchyard/routing';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { selectSkills, withFocusPrompt } from '../apps/focus-modes';
import { appAudienceOf } from '../apps/skill-caller';
import { skillLoopItems } from '../apps/skill-loop';
import { clientDisconnectController } from '../edge/client-disconnect';
import type { EdgeReply, EdgeRequest } from '../edge/edge-request';
import { errorBody, normalizeError } from '../edge/error-handler';
import type { FastPathRoute } from '../edge/fast-path';
import type { RouteBehaviour } from '../edge/principal';
import { sendEventStream } from '../edge/sse';
import { withoutNulls } from '../edge/without-nulls';
import { type ChatWithAppsDependencies, completeChatWithApps } from './apps-chat-http';
import { enqueueChat } from './async-chat-routes';
import {
  assertChoicesSupported,
  chunksOfCompletion,
  completeChat,
  resolveModel,
  startChatStream,
} from './chat-execution';
import { chatCallOf, tagAnswer } from './chat-http';
import { listAllModels, type OtherModelSources } from './model-list';
import { openAIChunkStream } from './openai-chunk-stream-http';

const chatBehaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'chat', openaiErrors: true };
const modelsBehaviour: RouteBehaviour = { auth: 'optional', openaiErrors: true };

/** The OpenAI-compatible surface: official OpenAI clients work against it unchanged. */
export function registerOpenAIRoutes(
  app: FastifyInstance,
  gateway: ChatWithAppsDependencies & OtherModelSources,
): void {
  const bootTime = Math.floor(Date.now() / 1000);

  const listModels = (environment: Environment) => listAllModels(gateway, environment, bootTime);

  app.get(
    '/v1/models',
    {
      config: { behaviour: modelsBehaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'List models (chat, embedding, image and audio, each with its kind)',
        security: [{ bearer: [] }, {}],
        response: { 200: OpenAIModelList },
      },
    },
    async (request) => ({ object: 'list' as const, data: listModels(request.principal?.environment ?? 'prod') }),
  );

  app.get<{ Params: Static<typeof ModelParams> }>(
    '/v1/models/:model',
    {
      config: { behaviour: modelsBehaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Retrieve a model',
        description: 'One entry of GET /v1/models; a model this environment does not offer is a 404.',
        security: [{ bearer: [] }, {}],
        params: ModelParams,
        response: { 200: OpenAIModel, 404: OpenAIErrorResponse },
      },
    },
    async (request) => {
      const environment = request.principal?.environment ?? 'prod';
      const model = listModels(environment).find((entry) => entry.id === request.params.model);
      if (!model) {
        throw new SwitchyardError(
          'SY_ERR_MODEL_NOT_FOUND',
          `The model '${request.params.model}' does not exist or is not available`,
        );
      }
      return model;
    },
  );

  app.post<{ Body: Static<typeof ChatCompletionRequest> }>(
    '/v1/chat/completions',
    {
      config: { behaviour: chatBehaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Create a chat completion (streaming with `stream: true`)',
        description:
          'OpenAI chat-completions request and response. With `stream: true` the answer is a stream of ' +
          '`data: {chunk}` server-sent events ending in `data: [DONE]`; `stream_options.include_usage` adds a ' +
          'final chunk with token usage. Bearer key optional: without one the call is anonymous, prod, limited per IP.',
        security: [{ bearer: [] }, {}],
        body: ChatCompletionRequest,
        response: OpenAIErrorResponses,
      },
    },
    async (request, reply) => {
      const respondAsync = /\brespond-async\b/i.test(String(request.headers.prefer ?? ''));
      const answer = await answerChatCompletion(
        gateway,
        request,
        reply,
        request.body,
        respondAsync ? (route, upstreamRequest) => enqueueChat(gateway, request, reply, route, upstreamRequest) : null,
      );
      if (answer.kind === 'json-text') {
        reply.type('application/json; charset=utf-8');
        return reply.send(answer.text);
      }
      if (answer.kind === 'value') return answer.value;
      return reply;
    },
  );
}

/** What the chat route answers: an upstream's own JSON text, a value to serialize, or a stream already under way. */
export type ChatCompletionAnswer =
  | { readonly kind: 'json-text'; readonly text: string }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'streamed' };

const streamed: ChatCompletionAnswer = { kind: 'streamed' };

/** The chat route's own fields, not sent upstream as they are. */
const chatRouteFields = new Set(['stream', 'stream_options', 'apps', 'focus'] as const);

/**
 * `POST /v1/chat/completions` once the request rules have passed and the body is valid: the Fastify
 * route and the fast path (edge/fast-path.ts) both answer with it. `enqueue` answers a `Prefer:
 * respond-async` request (Fastify only: the fast path hands such requests to Fastify).
 */
export async function answerChatCompletion(
  gateway: ChatWithAppsDependencies,
  request: EdgeRequest,
  reply: EdgeReply,
  body: Static<typeof ChatCompletionRequest>,
  enqueue: ((route: ModelRoute, upstreamRequest: ChatRequest) => Promise<unknown>) | null,
): Promise<ChatCompletionAnswer> {
  const environment = request.principal?.environment ?? 'prod';
  const route = resolveModel(gateway, body.model, environment);
  request.usageInfo = { model: route.id, promptTokens: null, completionTokens: null };
  assertChoicesSupported(gateway, route, body.n);
  const { stream, stream_options: streamOptions, apps: appIds, focus } = body;
  const upstreamRequest: ChatRequest = withoutNulls(body, chatRouteFields);
  if ((appIds || focus) && typeof body.n === 'number' && body.n > 1) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'A chat with apps or a focus mode answers one choice; send n: 1', {
      details: { param: 'n' },
    });
  }
  if (appIds || focus) {
    // Unknown apps and focus modes are a 404 before anything is sent, streamed or not.
    const selection = await selectSkills(
      gateway.apps,
      environment,
      { apps: appIds, focus },
      appAudienceOf(request.principal),
    );
    const withFocus = withFocusPrompt(upstreamRequest, selection);
    if (!stream) {
      return { kind: 'value', value: await completeChatWithApps(gateway, request, reply, route, withFocus, selection) };
    }
    const includeUsage = streamOptions?.include_usage === true;
    const items = skillLoopItems((onEvent) =>
      completeChatWithApps(gateway, request, reply, route, withFocus, selection, onEvent),
    );
    // The official clients read chunks only: skill calls run before the answer's chunks are sent.
    sendEventStream(reply, items, {
      frame: (item) =>
        item.kind === 'event'
          ? null
          : chunksOfCompletion(item.completion)
              .map((chunk) => {
                const { usage, ...withoutUsage } = chunk;
                const frame = includeUsage ? { ...withoutUsage, usage: null } : withoutUsage;
                const usageFrame =
                  includeUsage && usage ? `data: ${JSON.stringify({ ...withoutUsage, choices: [], usage })}\n\n` : '';
                return `data: ${JSON.stringify(frame)}\n\n${usageFrame}`;
              })
              .join(''),
      end: () => 'data: [DONE]\n\n',
      error: (error) =>
        `data: ${JSON.stringify(errorBody(normalizeError(error), true, gateway.secrets))}\n\ndata: [DONE]\n\n`,
    });
    return streamed;
  }
  if (enqueue) return { kind: 'value', value: await enqueue(route, upstreamRequest) };
  const signal = clientDisconnectController(request, reply);

  if (!stream) {
    const answer = await completeChat(gateway, chatCallOf(request), route, upstreamRequest, signal);
    tagAnswer(reply, answer);
    const { completion } = answer;
    request.usageInfo = {
      model: route.id,
      promptTokens: completion.usage?.prompt_tokens ?? null,
      completionTokens: completion.usage?.completion_tokens ?? null,
    };
    // An upstream answer that passed through unchanged goes out as the upstream's own bytes.
    const raw = rawJsonOf(completion);
    if (raw !== undefined) return { kind: 'json-text', text: raw };
    return { kind: 'value', value: completion };
  }

  const started = await startChatStream(gateway, chatCallOf(request), route, upstreamRequest, signal);
  tagAnswer(reply, started);
  sendEventStream(
    reply,
    started.chunks,
    openAIChunkStream<ChatCompletionChunk>({
      object: 'chat.completion.chunk',
      includeUsage: streamOptions?.include_usage === true,
      onUsage: (usage) => {
        request.usageInfo = {
          model: route.id,
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
        };
      },
      log: request.log,
      secrets: gateway.secrets,
    }),
  );
  return streamed;
}

/** `POST /v1/chat/completions` for the fast path: the same behaviour (rules) and the same handler as the route. */
export function chatCompletionsFastRoute(gateway: ChatWithAppsDependencies): FastPathRoute {
  return {
    method: 'POST',
    url: '/v1/chat/completions',
    behaviour: chatBehaviour,
    answer: (request, reply, body) =>
      answerChatCompletion(gateway, request, reply, body as Static<typeof ChatCompletionRequest>, null),
  };
}
