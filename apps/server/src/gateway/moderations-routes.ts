import { ModerationRequest as ModerationBody, OpenAIErrorResponses } from '@switchyard/api-schemas';
import { type Environment, SwitchyardError } from '@switchyard/core';
import type { ModelRoute } from '@switchyard/routing';
import type { FastifyInstance } from 'fastify';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import type { RouteBehaviour } from '../edge/principal';
import { resolveModel } from './chat-execution';
import type { GatewayDependencies } from './gateway-dependencies';
import { visibleModels } from './model-list';

const behaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'chat', openaiErrors: true };

/**
 * The moderation model a request names, or the first one configured. Moderation is a model entry
 * with `kind: moderation` on an OpenAI-compatible provider (OpenAI's omni-moderation-latest, or a
 * server copying its /v1/moderations); without one the answer is SY_ERR_MODEL_NOT_FOUND, not a bare 404.
 */
function moderationModel(
  gateway: GatewayDependencies,
  model: string | undefined,
  environment: Environment,
): ModelRoute {
  if (model === undefined) {
    const configured = visibleModels(gateway, environment).find((entry) => entry.kind === 'moderation');
    if (configured) return configured;
    throw new SwitchyardError(
      'SY_ERR_MODEL_NOT_FOUND',
      `No moderation model is configured for ${environment}: add a model with 'kind: moderation' served by an ` +
        'OpenAI-compatible provider (see docs/api.md, Moderations)',
      { details: { param: 'model' } },
    );
  }
  const route = resolveModel(gateway, model, environment);
  if (route.kind !== 'moderation') {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `The model '${route.id}' is a ${route.kind} model, not a moderation one; GET /v1/models lists those of kind moderation`,
      { details: { param: 'model' } },
    );
  }
  return route;
}

/** OpenAI-compatible moderations, passed through to the provider of a `kind: moderation` model. */
export function registerModerationsRoutes(app: FastifyInstance, gateway: GatewayDependencies): void {
  app.post<{ Body: ModerationBody }>(
    '/v1/moderations',
    {
      config: { behaviour },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Classify text (and images) for moderation',
        description:
          'OpenAI moderations request and response, passed to the provider of a model with `kind: moderation` ' +
          '(the named one, or the first configured). Without such a model: 404 `SY_ERR_MODEL_NOT_FOUND`; ' +
          'naming a model of another kind: 400 `SY_ERR_VALIDATION`.',
        security: [{ bearer: [] }, {}],
        body: ModerationBody,
        response: OpenAIErrorResponses,
      },
    },
    async (request, reply) => {
      const environment = request.principal?.environment ?? 'prod';
      const route = moderationModel(gateway, request.body.model, environment);
      request.usageInfo = { model: route.id, promptTokens: null, completionTokens: null };
      const routed = await gateway.router.moderate(
        route,
        { model: route.id, input: request.body.input },
        clientDisconnectSignal(request, reply),
        request.log,
      );
      reply.header('x-switchyard-model', routed.deployment.id);
      request.usageInfo = { model: route.id, promptTokens: 0, completionTokens: 0 };
      return routed.value;
    },
  );
}
