import type { Environment } from '@switchyard/core';
import { and, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { apiKeyUsageLog, type UsageLogInsert, type UsageLogRecord } from './schema';
import { queryUsageDashboard, type UsageDashboard, type UsageDashboardQuery } from './usage-dashboard';

export interface UsageListOptions {
  environment?: Environment;
  apiKeyId?: string;
  /** Defaults to 100, at most 10,000. */
  limit?: number;
}

export interface UsageRepository {
  /** One multi-row INSERT; rows should carry the request's createdAt, not the flush time. */
  insertMany(rows: readonly UsageLogInsert[]): Promise<void>;
  /** Newest first. */
  list(options?: UsageListOptions): Promise<UsageLogRecord[]>;
  count(options?: { environment?: Environment }): Promise<number>;
  /** Requests, tokens, errors and latency percentiles per time bucket, model and provider, and in total. */
  dashboard(query: UsageDashboardQuery): Promise<UsageDashboard>;
}

export function createUsageRepository(db: Db): UsageRepository {
  return {
    /**
     * One statement however many rows: each column travels as one array
     * parameter and `unnest` turns them back into rows. Building that is a
     * handful of array pushes, where a VALUES list costs a bound parameter (and
     * an ORM object) per cell on the gateway's hot path.
     */
    async insertMany(rows) {
      if (rows.length === 0) return;
      const columns = {
        environment: [] as string[],
        apiKeyId: [] as Array<string | null>,
        clientIp: [] as Array<string | null>,
        method: [] as string[],
        route: [] as string[],
        model: [] as Array<string | null>,
        status: [] as number[],
        latencyMs: [] as number[],
        promptTokens: [] as Array<number | null>,
        completionTokens: [] as Array<number | null>,
        audioSeconds: [] as Array<number | null>,
        createdAt: [] as string[],
      };
      const now = new Date().toISOString();
      for (const row of rows) {
        columns.environment.push(row.environment);
        columns.apiKeyId.push(row.apiKeyId ?? null);
        columns.clientIp.push(row.clientIp ?? null);
        columns.method.push(row.method);
        columns.route.push(row.route);
        columns.model.push(row.model ?? null);
        columns.status.push(row.status);
        columns.latencyMs.push(row.latencyMs);
        columns.promptTokens.push(row.promptTokens ?? null);
        columns.completionTokens.push(row.completionTokens ?? null);
        columns.audioSeconds.push(row.audioSeconds ?? null);
        columns.createdAt.push(row.createdAt ? row.createdAt.toISOString() : now);
      }
      await db.execute(sql`
        INSERT INTO api_key_usage_log
          (environment, api_key_id, client_ip, method, route, model, status, latency_ms,
           prompt_tokens, completion_tokens, audio_seconds, created_at)
        SELECT * FROM unnest(
          ${sql.param(columns.environment)}::varchar[], ${sql.param(columns.apiKeyId)}::text[], ${sql.param(columns.clientIp)}::text[],
          ${sql.param(columns.method)}::text[], ${sql.param(columns.route)}::text[], ${sql.param(columns.model)}::text[], ${sql.param(columns.status)}::int[],
          ${sql.param(columns.latencyMs)}::float8[], ${sql.param(columns.promptTokens)}::int[], ${sql.param(columns.completionTokens)}::int[],
          ${sql.param(columns.audioSeconds)}::float8[], ${sql.param(columns.createdAt)}::timestamptz[]
        )`);
    },

    list(options = {}) {
      const conditions: SQL[] = [];
      if (options.environment) conditions.push(eq(apiKeyUsageLog.environment, options.environment));
      if (options.apiKeyId !== undefined) conditions.push(eq(apiKeyUsageLog.apiKeyId, options.apiKeyId));
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 10_000);
      return db
        .select()
        .from(apiKeyUsageLog)
        .where(and(...conditions))
        .orderBy(desc(apiKeyUsageLog.createdAt), desc(apiKeyUsageLog.id))
        .limit(limit);
    },

    async count(options = {}) {
      const [result] = await db
        .select({ value: count() })
        .from(apiKeyUsageLog)
        .where(options.environment ? eq(apiKeyUsageLog.environment, options.environment) : undefined);
      return result?.value ?? 0;
    },

    dashboard: (query) => queryUsageDashboard(db, query),
  };
}
