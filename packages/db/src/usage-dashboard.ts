import type { Environment } from '@switchyard/core';
import { and, eq, gte, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { apiKeyUsageLog } from './schema';

export interface UsageDashboardQuery {
  environment: Environment;
  since: Date;
  bucket: 'minute' | 'hour';
  /** Narrows buckets and totals to this model; models and providers always cover every model. */
  model: string | null;
  /**
   * Which provider each model id (or alias) routes to now, in the registry's order: the log records
   * the model, not the provider. The first pair for an id wins. Empty: no per-provider rows.
   */
  providerOfModel: ReadonlyArray<{ model: string; provider: string }>;
}

/**
 * Aggregates of a group of usage rows. The token sums are bigint, which the drivers may hand back
 * as strings; the percentiles are null for a group without rows.
 */
export interface UsageAggregates {
  requests: number;
  promptTokens: number | string;
  completionTokens: number | string;
  /** Status 400 or above. */
  errors: number;
  /** Status 500 or above. */
  serverErrors: number;
  /** US dollars (float8). */
  costUsd: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface UsageDashboard {
  /** Buckets with requests only, oldest first; start is the bucket's first instant. */
  buckets: Array<UsageAggregates & { start: string | Date }>;
  /** Busiest first. */
  models: Array<UsageAggregates & { model: string | null }>;
  /** Providers with requests only, in no particular order. */
  providers: Array<UsageAggregates & { provider: string }>;
  /** The whole window; undefined only if the database returned no row. */
  totals: UsageAggregates | undefined;
}

function aggregates() {
  return {
    requests: sql<number>`count(*)::int`,
    promptTokens: sql<number | string>`coalesce(sum(${apiKeyUsageLog.promptTokens}), 0)::bigint`,
    completionTokens: sql<number | string>`coalesce(sum(${apiKeyUsageLog.completionTokens}), 0)::bigint`,
    errors: sql<number>`(count(*) filter (where ${apiKeyUsageLog.status} >= 400))::int`,
    serverErrors: sql<number>`(count(*) filter (where ${apiKeyUsageLog.status} >= 500))::int`,
    costUsd: sql<number>`coalesce(sum(${apiKeyUsageLog.costUsd}), 0)::float8`,
    p50: sql<number | null>`percentile_cont(0.5) within group (order by ${apiKeyUsageLog.latencyMs})`,
    p95: sql<number | null>`percentile_cont(0.95) within group (order by ${apiKeyUsageLog.latencyMs})`,
    p99: sql<number | null>`percentile_cont(0.99) within group (order by ${apiKeyUsageLog.latencyMs})`,
  };
}

/** Maps each model id to its provider in SQL, so percentiles can be taken per provider. */
function providerExpression(pairs: UsageDashboardQuery['providerOfModel']): SQL<string> | null {
  if (pairs.length === 0) return null;
  const cases = pairs.map(({ model, provider }) => sql`when ${model} then ${provider}`);
  return sql<string>`(case ${apiKeyUsageLog.model} ${sql.join(cases, sql` `)} else null end)`;
}

/** The admin usage dashboard: one environment's usage log since a time, four queries at once. */
export async function queryUsageDashboard(db: Db, query: UsageDashboardQuery): Promise<UsageDashboard> {
  const window = and(eq(apiKeyUsageLog.environment, query.environment), gte(apiKeyUsageLog.createdAt, query.since));
  const where = query.model === null ? window : and(window, eq(apiKeyUsageLog.model, query.model));
  // Whole UTC minutes or hours from the epoch, not date_trunc: that follows the session's TimeZone, and a
  // server set to a half-hour zone (Asia/Kolkata) would start hour buckets at :30 UTC.
  const seconds = sql.raw(query.bucket === 'minute' ? '60' : '3600');
  const start = sql<string>`to_timestamp(floor(extract(epoch from ${apiKeyUsageLog.createdAt}) / ${seconds}) * ${seconds})`;
  const providerOf = providerExpression(query.providerOfModel);
  const [buckets, models, providers, totals] = await Promise.all([
    db
      .select({ start, ...aggregates() })
      .from(apiKeyUsageLog)
      .where(where)
      .groupBy(sql`1`)
      .orderBy(sql`1`),
    db
      .select({ model: apiKeyUsageLog.model, ...aggregates() })
      .from(apiKeyUsageLog)
      .where(window)
      .groupBy(apiKeyUsageLog.model)
      .orderBy(sql`count(*) desc`),
    providerOf
      ? db
          .select({ provider: providerOf, ...aggregates() })
          .from(apiKeyUsageLog)
          .where(and(window, sql`${providerOf} is not null`))
          .groupBy(sql`1`)
      : Promise.resolve([]),
    db.select(aggregates()).from(apiKeyUsageLog).where(where),
  ]);
  return { buckets, models, providers, totals: totals[0] };
}
