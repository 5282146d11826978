import { ErrorResponse, NativeChatRequest, NativeChatResponse, NativeModelList } from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { ChatMessage, ChatRequest } from '@switchyard/providers';
import type { FastifyInstance } from 'fastify';
import { selectSkills, withFocusPrompt } from '../apps/focus-modes';
import { appAudienceOf } from '../apps/skill-caller';
import { skillLoopItems } from '../apps/skill-loop';
import { clientDisconnectController } from '../edge/client-disconnect';
import { errorBody, normalizeError } from '../edge/error-handler';
import type { RouteBehaviour } from '../edge/principal';
import { sendEventStream, sseEvent } from '../edge/sse';
import { type ChatWithAppsDependencies, completeChatWithApps } from './apps-chat-http';
import { enqueueChat } from './async-chat-routes';
import { completeChat, resolveModel, startChatStream } from './chat-execution';
import { chatCallOf, tagAnswer } from './chat-http';
import { visibleModels } from './model-list';

const chatBehaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'chat' };

function toChatRequest(body: NativeChatRequest): ChatRequest {
  const conversation: ChatMessage[] = body.messages
    ? body.messages
    : body.message !== undefined
      ? [{ role: 'user', content: body.message }]
      : [];
  if (conversation.length === 0) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'Send `message` (a string) or `messages` (a non-empty array)');
  }
  const messages: ChatMessage[] = body.system
    ? [{ role: 'system', content: body.system }, ...conversation]
    : conversation;
  const request: ChatRequest = { model: '', messages };
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.max_tokens !== undefined) request.max_tokens = body.max_tokens;
  return request;
}

/** Switchyard's native chat API (seed 000): simpler than OpenAI's, with labelled models. */
export function registerNativeChatRoutes(app: FastifyInstance, gateway: ChatWithAppsDependencies): void {
  app.get(
    '/v1/chat/models',
    {
      config: { behaviour: { auth: 'none' } },
      schema: {
        tags: ['Chat'],
        summary: 'Models available for chat, with labels such as Fast and Smart',
        response: { 200: NativeModelList },
      },
    },
    async (request) => ({
      default: gateway.models.defaultModelId,
      // Only models that chat: an embedding model in the picker would fail every message.
      models: visibleModels(gateway, request.principal?.environment ?? 'prod')
        .filter((model) => model.kind === 'chat')
        .map((model) => ({
          id: model.id,
          label: model.label,
          description: model.description,
          provider: model.providerId,
          default: model.id === gateway.models.defaultModelId,
          vision: model.vision,
        })),
    }),
  );

  app.post<{ Body: NativeChatRequest }>(
    '/v1/chat',
    {
      config: { behaviour: chatBehaviour },
      schema: {
        tags: ['Chat'],
        summary: 'Chat with a model',
        description:
          'Send `message` (or `messages`), optionally `model` and `system`. Without `stream` the answer is one JSON ' +
          'object. With `stream: true` it is server-sent events: `event: start` ({id, model}), then `event: delta` ' +
          '({content}) per piece of text, then `event: done` ({finish_reason, usage}); a failure mid-way sends ' +
          '`event: error` ({error: {code, message}}). Bearer key optional (anonymous = prod, limited per IP).',
        security: [{ bearer: [] }, {}],
        body: NativeChatRequest,
        response: {
          200: NativeChatResponse,
          400: ErrorResponse,
          401: ErrorResponse,
          404: ErrorResponse,
          429: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const environment = request.principal?.environment ?? 'prod';
      // A focus mode may prefer a model: it is used when the request names none.
      const selection =
        body.apps || body.focus
          ? await selectSkills(
              gateway.apps,
              environment,
              { apps: body.apps, focus: body.focus },
              appAudienceOf(request.principal),
            )
          : null;
      const route = resolveModel(gateway, body.model ?? selection?.model ?? gateway.models.defaultModelId, environment);
      const chatRequest = selection ? withFocusPrompt(toChatRequest(body), selection) : toChatRequest(body);
      request.usageInfo = { model: route.id, promptTokens: null, completionTokens: null };
      if (body.async) {
        if (selection) throw new SwitchyardError('SY_ERR_VALIDATION', 'Use either async or apps/focus, not both');
        if (body.stream) throw new SwitchyardError('SY_ERR_VALIDATION', 'Use either async or stream, not both');
        return enqueueChat(gateway, request, reply, route, chatRequest);
      }
      const startedAt = performance.now();
      const latencyMs = () => Math.round((performance.now() - startedAt) * 100) / 100;
      if (selection) {
        if (!body.stream) {
          const completion = await completeChatWithApps(gateway, request, reply, route, chatRequest, selection);
          const choice = completion.choices[0];
          return {
            id: completion.id,
            model: route.id,
            environment,
            served_by: String(reply.getHeader('x-switchyard-model') ?? route.id),
            message: {
              role: 'assistant' as const,
              content: typeof choice?.message.content === 'string' ? choice.message.content : '',
            },
            finish_reason: choice?.finish_reason ?? null,
            usage: completion.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
            latency_ms: latencyMs(),
          };
        }
        // start, then tool_call / tool_result as the skills run, then the answer and done.
        let finish: { finish_reason: string | null; usage: unknown } = { finish_reason: null, usage: null };
        const items = skillLoopItems((onEvent) =>
          completeChatWithApps(gateway, request, reply, route, chatRequest, selection, onEvent),
        );
        const id = `chat-${Date.now().toString(36)}`;
        let started = false;
        const startEvent = () => {
          if (started) return '';
          started = true;
          return sseEvent('start', { id, model: route.id, environment, served_by: route.id });
        };
        return sendEventStream(reply, items, {
          frame(item) {
            if (item.kind === 'event') return startEvent() + sseEvent(item.event.type, item.event);
            const choice = item.completion.choices[0];
            const content = typeof choice?.message.content === 'string' ? choice.message.content : '';
            finish = { finish_reason: choice?.finish_reason ?? null, usage: item.completion.usage ?? null };
            return startEvent() + (content ? sseEvent('delta', { content }) : '');
          },
          end: () => startEvent() + sseEvent('done', { ...finish, latency_ms: latencyMs() }),
          error: (error) => startEvent() + sseEvent('error', errorBody(normalizeError(error), false, gateway.secrets)),
        });
      }
      const signal = clientDisconnectController(request, reply);

      if (!body.stream) {
        const answer = await completeChat(gateway, chatCallOf(request), route, chatRequest, signal);
        tagAnswer(reply, answer);
        const { completion, deployment } = answer;
        const choice = completion.choices[0];
        const usage = completion.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
        request.usageInfo = {
          model: route.id,
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
        };
        return {
          id: completion.id,
          model: route.id,
          environment,
          served_by: deployment,
          message: {
            role: 'assistant' as const,
            content: typeof choice?.message.content === 'string' ? choice.message.content : '',
          },
          finish_reason: choice?.finish_reason ?? null,
          usage,
          latency_ms: latencyMs(),
        };
      }

      let sentStart = false;
      let finishReason: string | null = null;
      let usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
      const started = await startChatStream(gateway, chatCallOf(request), route, chatRequest, signal);
      tagAnswer(reply, started);
      return sendEventStream(reply, started.chunks, {
        frame(chunk) {
          let text = '';
          if (!sentStart) {
            sentStart = true;
            text += sseEvent('start', { id: chunk.id, model: route.id, environment, served_by: started.deployment });
          }
          if (chunk.usage) {
            usage = chunk.usage;
            request.usageInfo = {
              model: route.id,
              promptTokens: chunk.usage.prompt_tokens,
              completionTokens: chunk.usage.completion_tokens,
            };
          }
          const choice = chunk.choices[0];
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          const content = choice?.delta.content;
          if (content) text += sseEvent('delta', { content });
          return text || null;
        },
        end: () =>
          sseEvent('done', {
            finish_reason: finishReason,
            usage,
            latency_ms: Math.round((performance.now() - startedAt) * 100) / 100,
          }),
        error: (error) => sseEvent('error', errorBody(normalizeError(error), false, gateway.secrets)),
      });
    },
  );
}
