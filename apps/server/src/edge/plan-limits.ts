import { type PriceTable, type RateLimiter, SwitchyardError } from '@switchyard/core';
import type { ModelRegistry } from '@switchyard/routing';
import type { Metrics } from '../infrastructure/metrics';
import { type BudgetEnforcer, type BudgetTicket, planHasBudget } from '../plans/budget-enforcer';
import type { PlanResolution, PlanStore } from '../plans/plan-store';
import type { SettingsStore } from '../settings/settings-store';
import type { EdgeReply, EdgeRequest } from './edge-request';
import type { Principal, RouteBehaviour } from './principal';

/** What the request hooks need for plans: who is on which plan, budgets, prices, and the model catalog for aliases. */
export interface EdgePlans {
  readonly store: Pick<PlanStore, 'resolve' | 'ensureFresh'>;
  readonly budgets: BudgetEnforcer;
  readonly prices: PriceTable;
  readonly models: Pick<ModelRegistry, 'resolve'>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's plan (set for every authenticated or anonymous caller of a route with a behaviour). */
    plan: PlanResolution | null;
    /** The budget reservation of an admitted request, settled once when it ends. */
    budgetTicket: BudgetTicket | null;
  }
}

type Limiter = Pick<RateLimiter, 'hit'>;

interface PlanLimitCheck {
  bucket: string;
  limit: number;
  who: string;
}

/**
 * The plan's request limits beyond the per-route one: per user (every key and session of the
 * user together) and per client IP, for every caller that is not anonymous (anonymous callers are
 * counted per IP by the route's own limit). Counted in parallel, all kinds of rate-limited requests together.
 */
export async function applyPlanRequestLimits(
  limiter: Limiter,
  settings: Pick<SettingsStore, 'current'>,
  metrics: Pick<Metrics, 'rateLimitRejections'>,
  request: EdgeRequest,
  reply: EdgeReply,
): Promise<void> {
  const principal = request.principal;
  const resolution = request.plan;
  if (!principal || !resolution || principal.kind === 'anonymous') return;
  const { plan } = resolution;
  const environment = principal.environment;
  const current = settings.current();
  const checks: PlanLimitCheck[] = [
    {
      bucket: `req:${environment}:ip:${request.ip}`,
      limit: plan.ipRequestsPerMinute ?? current.getInteger('rate_limit.ip.per_minute'),
      who: 'client IP',
    },
  ];
  if (principal.userId !== null) {
    checks.push({
      bucket: `req:${environment}:user:${principal.userId}`,
      limit: plan.userRequestsPerMinute ?? current.getInteger('rate_limit.user.per_minute'),
      who: 'user',
    });
  }
  const decisions = await Promise.all(checks.map((check) => limiter.hit(check.bucket, check.limit)));
  let refused: { check: PlanLimitCheck; resetMs: number } | null = null;
  decisions.forEach((decision, index) => {
    const check = checks[index];
    if (!decision.allowed && check && (!refused || decision.resetMs > refused.resetMs)) {
      refused = { check, resetMs: decision.resetMs };
    }
  });
  if (!refused) return;
  const { check, resetMs } = refused as { check: PlanLimitCheck; resetMs: number };
  const resetSeconds = Math.max(1, Math.ceil(resetMs / 1000));
  reply.header('x-ratelimit-limit', String(check.limit));
  reply.header('x-ratelimit-remaining', '0');
  reply.header('x-ratelimit-reset', String(resetSeconds));
  metrics.rateLimitRejections.inc({ environment, route: request.routeOptions.url ?? 'unknown' });
  throw new SwitchyardError(
    'SY_ERR_RATE_LIMITED',
    `Rate limit of ${check.limit} requests per minute per ${check.who} reached (plan '${plan.id}') in ${environment}; retry in ${resetSeconds}s`,
    { retryAfterSeconds: resetSeconds },
  );
}

/** The per-route limit a key counts against: the plan's per-key limit when it sets one. */
export function planKeyLimit(resolution: PlanResolution | null): number | null {
  return resolution?.plan.keyRequestsPerMinute ?? null;
}

function modelOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const model = (body as { model?: unknown }).model;
  if (typeof model === 'string') return model;
  // Multipart fields (the audio routes) arrive as { value }.
  if (typeof model === 'object' && model !== null && typeof (model as { value?: unknown }).value === 'string') {
    return (model as { value: string }).value;
  }
  return null;
}

/** Whether a plan's model list names this model, by the id asked for, its catalog id or any alias. */
export function planAllowsModel(plans: EdgePlans, allowed: ReadonlySet<string>, model: string): boolean {
  if (allowed.has(model)) return true;
  const route = plans.models.resolve(model);
  if (!route) return false;
  return allowed.has(route.id) || route.aliases.some((alias) => allowed.has(alias));
}

/**
 * Before the handler of a metered route: the plan's model and app allow-lists, then the budget
 * (a reservation settled when the request ends). Null when there is nothing to wait for (no budget
 * to reserve from: most plans), so the hot path awaits no promise; a refusal is thrown at once.
 */
export function applyPlanBeforeHandler(
  plans: EdgePlans,
  request: EdgeRequest,
  behaviour: RouteBehaviour,
): Promise<void> | null {
  const resolution = request.plan;
  const principal: Principal | null = request.principal;
  if (!resolution || !principal || behaviour.plansInHandler) return null;
  const { plan } = resolution;
  if (plan.models) {
    const model = modelOf(request.body);
    if (model !== null && !planAllowsModel(plans, plan.models, model)) {
      throw new SwitchyardError(
        'SY_ERR_MODEL_NOT_ALLOWED',
        `The model '${model}' is not included in plan '${plan.id}'`,
        {
          details: { param: 'model' },
        },
      );
    }
  }
  if (plan.apps) {
    const params = request.params as { app?: unknown } | undefined;
    const body = request.body as { apps?: unknown } | undefined;
    const wanted = [
      ...(typeof params?.app === 'string' ? [params.app] : []),
      ...(Array.isArray(body?.apps) ? body.apps.filter((id): id is string => typeof id === 'string') : []),
    ];
    const refused = wanted.find((id) => !plan.apps?.has(id));
    if (refused !== undefined) {
      throw new SwitchyardError('SY_ERR_FORBIDDEN', `The app '${refused}' is not included in plan '${plan.id}'`, {
        details: { param: 'app' },
      });
    }
  }
  if (!behaviour.rateLimit || behaviour.usage === false || !planHasBudget(plan)) return null;
  return plans.budgets
    .admit(
      {
        plan,
        budgetSubject: resolution.budgetSubject,
        environment: principal.environment,
        userId: principal.userId,
      },
      undefined,
    )
    .then((ticket) => {
      request.budgetTicket = ticket;
    });
}
