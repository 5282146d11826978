import { EmbeddingsRequest as EmbeddingsRequestBody, OpenAIErrorResponses } from '@switchyard/api-schemas';
import type { EmbeddingsRequest } from '@switchyard/providers';
import type { FastifyInstance } from 'fastify';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import type { RouteBehaviour } from '../edge/principal';
import { resolveModel } from './chat-execution';
import type { GatewayDependencies } from './gateway-dependencies';

const behaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'chat', openaiErrors: true };

/** OpenAI-compatible embeddings, routed to OpenAI-compatible, Ollama and Gemini deployments. */
export function registerEmbeddingsRoutes(app: FastifyInstance, gateway: GatewayDependencies): void {
  app.post<{ Body: EmbeddingsRequestBody }>(
    '/v1/embeddings',
    {
      config: { behaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Create embeddings',
        description:
          'OpenAI embeddings request and response. `encoding_format` `float` (arrays of numbers) or `base64` ' +
          "(each vector's float32 little-endian bytes, base64-encoded: the `openai` client's default).",
        security: [{ bearer: [] }, {}],
        body: EmbeddingsRequestBody,
        response: OpenAIErrorResponses,
      },
    },
    async (request, reply) => {
      const environment = request.principal?.environment ?? 'prod';
      const route = resolveModel(gateway, request.body.model, environment);
      request.usageInfo = { model: route.id, promptTokens: null, completionTokens: null };
      const embeddingsRequest: EmbeddingsRequest = { model: route.id, input: request.body.input };
      if (request.body.dimensions !== undefined) embeddingsRequest.dimensions = request.body.dimensions;
      const routed = await gateway.router.embed(
        route,
        embeddingsRequest,
        clientDisconnectSignal(request, reply),
        request.log,
      );
      reply.header('x-switchyard-model', routed.deployment.id);
      request.usageInfo = { model: route.id, promptTokens: routed.value.usage.prompt_tokens, completionTokens: 0 };
      if (request.body.encoding_format !== 'base64') return routed.value;
      return {
        ...routed.value,
        data: routed.value.data.map((item) => ({ ...item, embedding: float32Base64(item.embedding) })),
      };
    },
  );
}

/** What OpenAI sends for `encoding_format: "base64"`: the vector as float32 little-endian, base64. */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => {
    bytes.writeFloatLE(value, index * 4);
  });
  return bytes.toString('base64');
}
