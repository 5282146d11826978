import { SwitchyardError } from '@switchyard/core';
import { apiKeyUsageLog } from '@switchyard/db';
import { and, eq, gte, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { RouteBehaviour } from '../http/principal';
import { ErrorResponse } from '../http/schemas';
import type { Runtime } from '../runtime/runtime';

const behaviour: RouteBehaviour = { auth: 'admin' };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse };

const Stats = {
  requests: Type.Number(),
  tokens: Type.Number(),
  errors: Type.Number(),
  error_rate: Type.Number(),
  latency_p50_ms: Type.Union([Type.Number(), Type.Null()]),
  latency_p95_ms: Type.Union([Type.Number(), Type.Null()]),
  latency_p99_ms: Type.Union([Type.Number(), Type.Null()]),
};

const UsageResponse = Type.Object({
  environment: Type.String(),
  since: Type.String(),
  bucket: Type.String(),
  buckets: Type.Array(Type.Object({ start: Type.String(), ...Stats })),
  models: Type.Array(Type.Object({ model: Type.Union([Type.String(), Type.Null()]), ...Stats })),
  totals: Type.Object(Stats),
});

interface UsageQuery {
  environment?: 'prod' | 'dev';
  since?: string;
  bucket?: 'minute' | 'hour';
}

function aggregates() {
  return {
    requests: sql<number>`count(*)::int`,
    tokens: sql<number>`coalesce(sum(coalesce(${apiKeyUsageLog.promptTokens}, 0) + coalesce(${apiKeyUsageLog.completionTokens}, 0)), 0)::int`,
    errors: sql<number>`(count(*) filter (where ${apiKeyUsageLog.status} >= 400))::int`,
    p50: sql<number | null>`percentile_cont(0.5) within group (order by ${apiKeyUsageLog.latencyMs})`,
    p95: sql<number | null>`percentile_cont(0.95) within group (order by ${apiKeyUsageLog.latencyMs})`,
    p99: sql<number | null>`percentile_cont(0.99) within group (order by ${apiKeyUsageLog.latencyMs})`,
  };
}

interface Row {
  requests: number;
  tokens: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

const round = (value: number | null) => (value === null ? null : Math.round(Number(value) * 100) / 100);

function stats(row: Row | undefined) {
  const requests = Number(row?.requests ?? 0);
  const errorCount = Number(row?.errors ?? 0);
  return {
    requests,
    tokens: Number(row?.tokens ?? 0),
    errors: errorCount,
    error_rate: requests === 0 ? 0 : Math.round((errorCount / requests) * 10_000) / 10_000,
    latency_p50_ms: round(row?.p50 ?? null),
    latency_p95_ms: round(row?.p95 ?? null),
    latency_p99_ms: round(row?.p99 ?? null),
  };
}

/** Usage dashboard data: api_key_usage_log of one environment, by time bucket and by model. */
export function registerAdminUsageRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get<{ Querystring: UsageQuery }>(
    '/v1/admin/usage',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Requests, tokens, error rate and latency percentiles per time bucket and per model',
        security,
        querystring: Type.Object(
          {
            environment: Type.Optional(Type.Union([Type.Literal('prod'), Type.Literal('dev')])),
            since: Type.Optional(Type.String({ description: 'ISO timestamp; defaults to 24 hours ago' })),
            bucket: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: UsageResponse, ...errors },
      },
    },
    async (request) => {
      const environment = request.query.environment ?? 'prod';
      const bucket = request.query.bucket ?? 'hour';
      const since = request.query.since ? new Date(request.query.since) : new Date(Date.now() - 24 * 3_600_000);
      if (Number.isNaN(since.getTime())) {
        throw new SwitchyardError('SY_ERR_VALIDATION', "'since' must be an ISO date-time");
      }
      const db = runtime.databases[environment].db;
      const where = and(eq(apiKeyUsageLog.environment, environment), gte(apiKeyUsageLog.createdAt, since));
      const start = sql<string>`date_trunc(${sql.raw(`'${bucket}'`)}, ${apiKeyUsageLog.createdAt})`;
      const [buckets, models, totals] = await Promise.all([
        db
          .select({ start, ...aggregates() })
          .from(apiKeyUsageLog)
          .where(where)
          .groupBy(sql`1`)
          .orderBy(sql`1`),
        db
          .select({ model: apiKeyUsageLog.model, ...aggregates() })
          .from(apiKeyUsageLog)
          .where(where)
          .groupBy(apiKeyUsageLog.model)
          .orderBy(sql`count(*) desc`),
        db.select(aggregates()).from(apiKeyUsageLog).where(where),
      ]);
      return {
        environment,
        since: since.toISOString(),
        bucket,
        buckets: buckets.map((row) => ({ start: new Date(row.start).toISOString(), ...stats(row) })),
        models: models.map((row) => ({ model: row.model, ...stats(row) })),
        totals: stats(totals[0]),
      };
    },
  );
}
