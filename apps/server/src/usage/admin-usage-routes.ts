import {
  ErrorResponse,
  SkillCallsQuery,
  SkillCallsResponse,
  SpendQuery,
  SpendResponse,
  skillCallPage,
  UsageQuery,
  UsageResponse,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import {
  createKeyRepository,
  createSkillCallRepository,
  createUsageRepository,
  createUsersRepository,
  type UsageAggregates,
} from '@switchyard/db';
import type { ModelRegistry } from '@switchyard/routing';
import type { FastifyInstance } from 'fastify';
import { administeredEnvironment } from '../edge/admin-environments';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import type { Databases } from '../infrastructure/databases';

export interface AdminUsageDependencies {
  readonly databases: Databases;
  /** Usage rows name models; the catalog says which provider serves each. */
  readonly models: Pick<ModelRegistry, 'list' | 'resolve'>;
}

// Not logged itself: the dashboard polls this every few seconds and would otherwise chart its own polling.
const behaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse };

const round = (value: number | null) => (value === null ? null : Math.round(Number(value) * 100) / 100);

function stats(row: UsageAggregates | undefined) {
  const requests = Number(row?.requests ?? 0);
  const errorCount = Number(row?.errors ?? 0);
  const promptTokens = Number(row?.promptTokens ?? 0);
  const completionTokens = Number(row?.completionTokens ?? 0);
  return {
    requests,
    tokens: promptTokens + completionTokens,
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    errors: errorCount,
    server_errors: Number(row?.serverErrors ?? 0),
    error_rate: requests === 0 ? 0 : Math.round((errorCount / requests) * 10_000) / 10_000,
    latency_p50_ms: round(row?.p50 ?? null),
    latency_p95_ms: round(row?.p95 ?? null),
    latency_p99_ms: round(row?.p99 ?? null),
    cost_usd: roundUsd(Number(row?.costUsd ?? 0)),
  };
}

/** Dollars to a millionth: row costs are tiny, sums of them are not. */
const roundUsd = (value: number) => Math.round(value * 1e6) / 1e6;

/** Provider id → the model ids (and aliases) that route to it now, from the model registry. */
function providerModels(usage: AdminUsageDependencies): Map<string, string[]> {
  const providers = new Map<string, string[]>();
  for (const route of usage.models.list()) {
    const ids = providers.get(route.providerId) ?? [];
    ids.push(route.id);
    providers.set(route.providerId, ids);
  }
  return providers;
}

/**
 * The usage log records the model, not the provider; this maps each model id and alias to its provider so
 * the repository can take percentiles per provider. Empty when no model is configured.
 */
function providerOfModel(usage: AdminUsageDependencies): Array<{ model: string; provider: string }> {
  return usage.models
    .list()
    .flatMap((route) => [route.id, ...route.aliases].map((id) => ({ model: id, provider: route.providerId })));
}

function sinceOf(query: { since?: string }): Date {
  const since = query.since ? new Date(query.since) : new Date(Date.now() - 24 * 3_600_000);
  if (Number.isNaN(since.getTime())) {
    throw new SwitchyardError('SY_ERR_VALIDATION', "'since' must be an ISO date-time");
  }
  return since;
}

/** Usage dashboard data: api_key_usage_log of one environment, by time bucket and by model. */
export function registerAdminUsageRoutes(app: FastifyInstance, usage: AdminUsageDependencies): void {
  app.get<{ Querystring: UsageQuery }>(
    '/v1/admin/usage',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Requests, tokens, error rate and latency percentiles per time bucket and per model',
        security,
        querystring: UsageQuery,
        response: { 200: UsageResponse, ...errors },
      },
    },
    async (request) => {
      // A dev admin key reads dev by default and is refused prod.
      const environment = administeredEnvironment(request.principal, request.query.environment);
      const bucket = request.query.bucket ?? 'hour';
      const since = sinceOf(request.query);
      const model = request.query.model ?? null;
      const database = usage.databases[environment];
      // Embedded mode's dev database opens on first use; a dashboard read (the admin console's Health
      // page polls dev every 10 s) is not a use: it has no rows yet, so zero without opening it.
      const notOpened = database.openState?.().state === 'not opened';
      const dashboard = notOpened
        ? { buckets: [], models: [], providers: [], totals: undefined }
        : await createUsageRepository(database.db).dashboard({
            environment,
            since,
            bucket,
            model,
            providerOfModel: providerOfModel(usage),
          });
      const { buckets, models, providers: providerRows, totals } = dashboard;
      const byProvider = new Map(providerRows.map((row) => [row.provider, row]));
      return {
        environment,
        since: since.toISOString(),
        bucket,
        model,
        buckets: buckets.map((row) => ({ start: new Date(row.start).toISOString(), ...stats(row) })),
        models: models.map((row) => ({
          model: row.model,
          provider: row.model === null ? null : (usage.models.resolve(row.model)?.providerId ?? null),
          ...stats(row),
        })),
        providers: [...providerModels(usage)].map(([provider, ids]) => ({
          provider,
          models: ids,
          ...stats(byProvider.get(provider)),
        })),
        totals: stats(totals),
        ...(notOpened ? { database_state: 'not opened' as const } : {}),
      };
    },
  );
  app.get<{ Querystring: SpendQuery }>(
    '/v1/admin/usage/spend',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Spend (US dollars by the price table) per API key, user or model in one environment',
        security,
        querystring: SpendQuery,
        response: { 200: SpendResponse, ...errors },
      },
    },
    async (request) => {
      const environment = administeredEnvironment(request.principal, request.query.environment);
      const now = new Date();
      const since = request.query.since
        ? sinceOf(request.query)
        : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const groupBy = request.query.group_by ?? 'key';
      const rows = await createUsageRepository(usage.databases[environment].db).spend({
        environment,
        since,
        groupBy,
        ...pageOf(request.query),
      });
      const labels = new Map<string, string>();
      if (groupBy === 'key') {
        const keys = await createKeyRepository(usage.databases.prod.db).list({ includeRevoked: true });
        for (const key of keys) labels.set(key.id, key.name);
      } else if (groupBy === 'user') {
        const users = createUsersRepository(usage.databases.prod.db);
        await Promise.all(
          rows.map(async (row) => {
            if (row.group === null) return;
            const user = await users.findById(row.group);
            if (user) labels.set(row.group, user.email);
          }),
        );
      }
      return {
        environment,
        since: since.toISOString(),
        group_by: groupBy,
        rows: rows.map((row) => ({
          id: row.group,
          label: row.group === null ? null : (labels.get(row.group) ?? (groupBy === 'model' ? row.group : null)),
          requests: row.requests,
          prompt_tokens: row.promptTokens,
          completion_tokens: row.completionTokens,
          cost_usd: roundUsd(row.costUsd),
        })),
        total_cost_usd: roundUsd(rows.reduce((sum, row) => sum + row.costUsd, 0)),
      };
    },
  );
  app.get<{ Querystring: SkillCallsQuery }>(
    '/v1/admin/usage/skills',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Skill calls of one environment: per app and skill (calls, failures, durations) and each call',
        description:
          'Every skill call is logged, whichever path it came by: POST /v1/apps/{app}/skills/{skill} (`api`), a ' +
          'chat with apps (`chat`), the /mcp endpoint (`mcp`) or an async call (`job`).',
        security,
        querystring: SkillCallsQuery,
        response: { 200: SkillCallsResponse, ...errors },
      },
    },
    async (request) => {
      const { query } = request;
      const environment = administeredEnvironment(request.principal, query.environment);
      const since = sinceOf(query);
      const page = pageOf(query, skillCallPage);
      const filter = {
        environment,
        since,
        ...(query.app ? { app: query.app } : {}),
        ...(query.skill ? { skill: query.skill } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.api_key_id ? { apiKeyId: query.api_key_id } : {}),
      };
      const repository = createSkillCallRepository(usage.databases[environment].db);
      const [skills, calls] = await Promise.all([repository.summary(filter), repository.list({ ...filter, ...page })]);
      return {
        environment,
        since: since.toISOString(),
        skills: skills.map((row) => ({
          app: row.app,
          skill: row.skill,
          calls: row.calls,
          failures: row.failures,
          duration_p50_ms: round(row.p50Ms),
          duration_p95_ms: round(row.p95Ms),
        })),
        calls: calls.map((row) => ({
          id: Number(row.id),
          app: row.app,
          skill: row.skill,
          via: row.via,
          status: row.status,
          error_code: row.errorCode,
          duration_ms: round(row.durationMs) ?? 0,
          caller: row.caller,
          api_key_id: row.apiKeyId,
          created_at: row.createdAt.toISOString(),
        })),
        ...page,
      };
    },
  );
}
