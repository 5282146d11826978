import {
  AssignPlanRequest,
  BillingWebhookRequest,
  BillingWebhookResponse,
  CreatePlanRequest,
  ErrorResponse,
  MyUsageQuery,
  MyUsageResponse,
  Plan,
  PlanAssignment,
  PlanAssignmentList,
  PlanList,
  PlanParams,
  PlanSubjectParams,
  UpdatePlanRequest,
} from '@switchyard/api-schemas';
import { fromNanoDollars, periodWindow, type SwitchyardConfig, SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import Value from 'typebox/value';
import { assertAdministersAll } from '../edge/admin-environments';
import type { RouteBehaviour } from '../edge/principal';
import type { Databases } from '../infrastructure/databases';
import type { SettingsStore } from '../settings/settings-store';
import { loadModelsFor, loadSpentFor, type Plans } from './plans';
import { signatureHeader, verifyWebhook } from './webhook-signature';

export interface PlanRouteDependencies {
  readonly config: Pick<SwitchyardConfig, 'billing'>;
  readonly plans: Plans;
  readonly databases: Databases;
  readonly settings: Pick<SettingsStore, 'current'>;
}

const adminBehaviour: RouteBehaviour = { auth: 'admin' };
const adminReadBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const webhookBehaviour: RouteBehaviour = { auth: 'none', usage: false };
const webhookBodyLimit = 64 * 1024;

/** Plans are control plane: only a prod admin key or a signed-in admin changes them. */
const controlPlane = 'Plans';

interface RawBody {
  readonly bytes: Buffer;
}

/** Plans and assignments (admin), the billing webhook, and a caller's own usage and budget. */
export async function registerPlanRoutes(app: FastifyInstance, dependencies: PlanRouteDependencies): Promise<void> {
  const { service } = dependencies.plans;

  app.get(
    '/v1/admin/plans',
    {
      config: { behaviour: adminReadBehaviour },
      schema: { tags: ['Admin'], summary: 'List plans', security, response: { 200: PlanList, ...errors } },
    },
    async (request) => {
      assertAdministersAll(request.principal, controlPlane);
      const { plans, defaultPlan } = await service.list();
      return { plans, default_plan: defaultPlan };
    },
  );

  app.post<{ Body: CreatePlanRequest }>(
    '/v1/admin/plans',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Create a plan; it applies on every process at once',
        security,
        body: CreatePlanRequest,
        response: { 201: Plan, ...errors },
      },
    },
    async (request, reply) => {
      assertAdministersAll(request.principal, controlPlane);
      return reply.code(201).send(await service.create(request.body));
    },
  );

  app.get<{ Params: PlanParams }>(
    '/v1/admin/plans/:id',
    {
      config: { behaviour: adminReadBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'One plan',
        security,
        params: PlanParams,
        response: { 200: Plan, ...errors },
      },
    },
    async (request) => {
      assertAdministersAll(request.principal, controlPlane);
      return service.get(request.params.id);
    },
  );

  app.patch<{ Params: PlanParams; Body: UpdatePlanRequest }>(
    '/v1/admin/plans/:id',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: "Change a plan's fields; every process applies the change from its next request",
        security,
        params: PlanParams,
        body: UpdatePlanRequest,
        response: { 200: Plan, ...errors },
      },
    },
    async (request) => {
      assertAdministersAll(request.principal, controlPlane);
      return service.update(request.params.id, request.body);
    },
  );

  app.delete<{ Params: PlanParams }>(
    '/v1/admin/plans/:id',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Delete a plan nobody is assigned to (409 otherwise)',
        security,
        params: PlanParams,
        response: errors,
      },
    },
    async (request, reply) => {
      assertAdministersAll(request.principal, controlPlane);
      await service.remove(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: PlanParams }>(
    '/v1/admin/plans/:id/assignments',
    {
      config: { behaviour: adminReadBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'The users, keys and projects assigned to a plan',
        security,
        params: PlanParams,
        response: { 200: PlanAssignmentList, ...errors },
      },
    },
    async (request) => {
      assertAdministersAll(request.principal, controlPlane);
      return { assignments: await service.assignments(request.params.id) };
    },
  );

  app.put<{ Body: AssignPlanRequest }>(
    '/v1/admin/plan-assignments',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary:
          "Put a user, an API key or a project on a plan (replacing its plan); a key's own plan wins, then the project's " +
          "for requests made within the project, then the user's",
        security,
        body: AssignPlanRequest,
        response: { 200: PlanAssignment, ...errors },
      },
    },
    async (request) => {
      assertAdministersAll(request.principal, controlPlane);
      return service.assign({
        subjectType: request.body.subject_type,
        subjectId: request.body.subject_id,
        planId: request.body.plan_id,
        source: 'admin',
      });
    },
  );

  app.delete<{ Params: PlanSubjectParams }>(
    '/v1/admin/plan-assignments/:subject_type/:subject_id',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Remove a user, key or project from its plan (the next one in line applies again)',
        security,
        params: PlanSubjectParams,
        response: errors,
      },
    },
    async (request, reply) => {
      assertAdministersAll(request.principal, controlPlane);
      const removed = await service.unassign(request.params.subject_type, request.params.subject_id);
      if (!removed) {
        throw new SwitchyardError(
          'SY_ERR_NOT_FOUND',
          `The ${request.params.subject_type} '${request.params.subject_id}' has no plan of its own`,
        );
      }
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: MyUsageQuery }>(
    '/v1/me/usage',
    {
      config: { behaviour: { auth: 'optional', usage: false } },
      schema: {
        tags: ['Accounts'],
        summary: "Your plan, this period's usage and spend, and what is left of your budgets",
        description:
          "For an API key: the key's environment (and the budget it counts against: its own plan's, else its owner's). " +
          'For a signed-in user: `environment` picks prod (default) or dev.',
        security: [{ bearer: [] }, { session: [] }],
        querystring: MyUsageQuery,
        response: { 200: MyUsageResponse, ...errors },
      },
    },
    async (request) => {
      const principal = request.principal;
      const resolution = request.plan;
      if (!principal || principal.kind === 'anonymous' || !resolution) {
        throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Send an API key or sign in to see your usage');
      }
      const environment =
        principal.kind === 'key' ? principal.environment : (request.query.environment ?? principal.environment);
      if (
        principal.kind === 'key' &&
        request.query.environment &&
        request.query.environment !== principal.environment
      ) {
        throw new SwitchyardError(
          'SY_ERR_ENVIRONMENT_FORBIDDEN',
          `A ${principal.environment} key reads ${principal.environment} only`,
        );
      }
      const { plan, budgetSubject } = resolution;
      const window = periodWindow(plan.budgetPeriod, dependencies.plans.clock.now());
      const [totals, models, counted] = await Promise.all([
        loadSpentFor(dependencies.databases)(environment, budgetSubject, window.startsAt),
        loadModelsFor(dependencies.databases)(environment, budgetSubject, window.startsAt),
        dependencies.plans.budgets.spent({ plan, budgetSubject, environment, userId: principal.userId }),
      ]);
      // The counters decide (they include requests whose rows are still being written); the log fills in the rest.
      const usedTokens = Math.max(counted.spent.tokens, totals.promptTokens + totals.completionTokens);
      const usedUsd = Math.max(fromNanoDollars(counted.spent.nanoDollars), totals.costUsd);
      const state = (limit: number | null, used: number) =>
        limit === null ? null : { limit, used, remaining: Math.max(0, limit - used) };
      const settings = dependencies.settings.current();
      return {
        environment,
        plan: { id: plan.id, name: plan.name },
        period: {
          kind: plan.budgetPeriod,
          starts_at: window.startsAt.toISOString(),
          resets_at: window.resetsAt.toISOString(),
        },
        requests: totals.requests,
        prompt_tokens: totals.promptTokens,
        completion_tokens: totals.completionTokens,
        cost_usd: Math.round(usedUsd * 1e6) / 1e6,
        budget_owner: budgetSubject.startsWith('key:')
          ? ('key' as const)
          : budgetSubject.startsWith('project:')
            ? ('project' as const)
            : ('user' as const),
        models: models.map((row) => ({
          model: row.model,
          requests: row.requests,
          prompt_tokens: row.promptTokens,
          completion_tokens: row.completionTokens,
          cost_usd: Math.round(row.costUsd * 1e6) / 1e6,
        })),
        budgets: {
          tokens: state(plan.tokenBudget, usedTokens),
          spend_usd: state(plan.spendBudgetUsd, Math.round(usedUsd * 1e6) / 1e6),
        },
        limits: {
          models: plan.models ? [...plan.models] : null,
          apps: plan.apps ? [...plan.apps] : null,
          user_requests_per_minute: plan.userRequestsPerMinute ?? settings.getInteger('rate_limit.user.per_minute'),
          key_requests_per_minute:
            principal.kind === 'key'
              ? (plan.keyRequestsPerMinute ?? settings.getInteger(`rate_limit.chat.${environment}`))
              : null,
          ip_requests_per_minute: plan.ipRequestsPerMinute ?? settings.getInteger('rate_limit.ip.per_minute'),
          images_per_day: plan.imagesPerDay ?? settings.getInteger(`ai.image.max_per_day_free.${environment}`),
          audio_minutes_per_day:
            plan.audioMinutesPerDay ?? settings.getInteger(`audio.max_minutes_per_day.${environment}`),
        },
      };
    },
  );

  await app.register(async (scope) => {
    // Only here: the body stays bytes, because the signature is over exactly those bytes.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: webhookBodyLimit },
      (_request, body, done) =>
        done(null, Object.defineProperty({}, 'bytes', { value: body as Buffer, enumerable: false }) as RawBody),
    );
    scope.post(
      '/v1/billing/webhook',
      {
        config: { behaviour: webhookBehaviour },
        schema: {
          tags: ['Admin'],
          summary: 'Plan changes from an external billing system (HMAC-signed)',
          description:
            'The Switchyard-Signature header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the ' +
            'configured billing.webhookSecret (BILLING_WEBHOOK_SECRET); it is checked before anything else, and a ' +
            'timestamp more than billing.webhookToleranceSeconds away is refused. 404 when no secret is configured. ' +
            'Body: {event: "plan.assigned" | "plan.removed", subject_type, subject_id, plan_id, reference}.',
          response: { 200: BillingWebhookResponse, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse },
        },
      },
      async (request) => {
        const secret = dependencies.config.billing.webhookSecret;
        if (!secret) throw new SwitchyardError('SY_ERR_NOT_FOUND', 'No route POST /v1/billing/webhook');
        const bytes = (request.body as RawBody | undefined)?.bytes ?? Buffer.alloc(0);
        const header = request.headers[signatureHeader];
        verifyWebhook(
          secret,
          bytes,
          Array.isArray(header) ? header[0] : header,
          Math.floor(dependencies.plans.clock.now() / 1000),
          dependencies.config.billing.webhookToleranceSeconds,
        );
        let parsed: unknown;
        try {
          parsed = JSON.parse(bytes.toString('utf8'));
        } catch {
          throw new SwitchyardError('SY_ERR_INVALID_JSON', 'The webhook body is not JSON');
        }
        if (!Value.Check(BillingWebhookRequest, parsed)) {
          const first = [...Value.Errors(BillingWebhookRequest, parsed)][0];
          throw new SwitchyardError('SY_ERR_VALIDATION', `Invalid webhook body: ${first?.message ?? 'unknown shape'}`);
        }
        const event = parsed as BillingWebhookRequest;
        if (event.event === 'plan.removed') {
          await service.unassign(event.subject_type, event.subject_id);
          request.log.info({ subjectType: event.subject_type }, 'billing webhook removed a plan assignment');
          return { received: true as const, assignment: null };
        }
        if (!event.plan_id) {
          throw new SwitchyardError('SY_ERR_VALIDATION', 'plan.assigned needs plan_id', {
            details: { param: 'plan_id' },
          });
        }
        const assignment = await service.assign({
          subjectType: event.subject_type,
          subjectId: event.subject_id,
          planId: event.plan_id,
          source: 'webhook',
          externalReference: event.reference ?? null,
        });
        request.log.info({ subjectType: event.subject_type, planId: event.plan_id }, 'billing webhook assigned a plan');
        return { received: true as const, assignment };
      },
    );
  });
}
