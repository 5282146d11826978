import { OpenAIErrorResponses, TextCompletionRequest as TextCompletionBody } from '@switchyard/api-schemas';
import type { TextCompletionChunk, TextCompletionRequest, Usage } from '@switchyard/providers';
import type { FastifyInstance } from 'fastify';
import { clientDisconnectController } from '../edge/client-disconnect';
import type { RouteBehaviour } from '../edge/principal';
import { sendEventStream } from '../edge/sse';
import { withoutNulls } from '../edge/without-nulls';
import { resolveModel } from './chat-execution';
import { chatCallOf, tagAnswer } from './chat-http';
import type { GatewayDependencies } from './gateway-dependencies';
import { openAIChunkStream } from './openai-chunk-stream-http';
import { assertTextCompletionSupported, completeText, startTextStream } from './text-completion-execution';

const behaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'chat', openaiErrors: true };

/**
 * OpenAI's legacy completions (POST /v1/completions) on every chat model: OpenAI-compatible upstreams
 * get the request as it is, Ollama its /api/generate with the raw prompt, Anthropic and Gemini each
 * prompt as one user chat turn. Same key, scopes, limits, budgets, usage rows and routing as chat.
 */
export function registerCompletionsRoutes(app: FastifyInstance, gateway: GatewayDependencies): void {
  app.post<{ Body: TextCompletionBody }>(
    '/v1/completions',
    {
      config: { behaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Create a (legacy) text completion (streaming with `stream: true`)',
        description:
          'OpenAI completions request and response. OpenAI-compatible providers receive it unchanged; Ollama ' +
          'continues the raw prompt (/api/generate); Anthropic, Gemini and echo answer each prompt as a single ' +
          'user chat turn, and refuse `echo`, `suffix`, `logprobs`, `best_of` and `n` > 1 with a 400 naming the model. ' +
          'With `stream: true` the answer is `data: {text_completion}` server-sent events ending in `data: [DONE]`.',
        security: [{ bearer: [] }, {}],
        body: TextCompletionBody,
        response: OpenAIErrorResponses,
      },
    },
    async (request, reply) => {
      const environment = request.principal?.environment ?? 'prod';
      const route = resolveModel(gateway, request.body.model, environment);
      request.usageInfo = { model: route.id, promptTokens: null, completionTokens: null };
      const { stream, stream_options: streamOptions, ...rest } = request.body;
      const body = withoutNulls(rest) as TextCompletionRequest;
      body.model = route.id;
      assertTextCompletionSupported(gateway, route, body);
      const signal = clientDisconnectController(request, reply);
      const recordUsage = (usage: Usage | null | undefined) => {
        request.usageInfo = {
          model: route.id,
          promptTokens: usage?.prompt_tokens ?? null,
          completionTokens: usage?.completion_tokens ?? null,
        };
      };

      if (!stream) {
        const answer = await completeText(gateway, chatCallOf(request), route, body, signal);
        tagAnswer(reply, answer);
        recordUsage(answer.completion.usage);
        return answer.completion;
      }

      const started = await startTextStream(gateway, route, body, signal, request.log);
      tagAnswer(reply, { deployment: started.deployment, cache: 'BYPASS' });
      return sendEventStream(
        reply,
        started.chunks,
        openAIChunkStream<TextCompletionChunk>({
          object: 'text_completion',
          includeUsage: streamOptions?.include_usage === true,
          onUsage: recordUsage,
          log: request.log,
          secrets: gateway.secrets,
        }),
      );
    },
  );
}
