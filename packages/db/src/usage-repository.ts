import type { Environment } from '@switchyard/core';
import { and, count, desc, eq, gte, isNull, type SQL, sql } from 'drizzle-orm';
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
  /** Spend grouped by key, user or model over a window, costliest first. */
  spend(query: SpendQuery): Promise<SpendRow[]>;
  /** One subject's totals since a time: the budget counters' starting point, and a user's own usage page. */
  totals(query: SubjectTotalsQuery): Promise<SubjectTotals>;
  /** The same rows per model, costliest first (at most 100 models). */
  totalsByModel(query: SubjectTotalsQuery): Promise<Array<SubjectTotals & { model: string | null }>>;
}

export interface SpendQuery {
  environment: Environment;
  since: Date;
  groupBy: 'key' | 'user' | 'model';
  /** Defaults to 100, at most 1,000. */
  limit?: number;
  offset?: number;
}

export interface SpendRow {
  /** The key id, user id or model; null for rows without one (anonymous callers, requests without a model). */
  group: string | null;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface SubjectTotalsQuery {
  environment: Environment;
  since: Date;
  /**
   * Exactly one: the rows of a key, of a user (session and keys alike), of a project (requests made
   * within it), of an anonymous client IP, or of a caller outside HTTP by the subject on its rows
   * (`whatsapp:+<number>`).
   */
  subject:
    | { apiKeyId: string }
    | { userId: string }
    | { projectId: string }
    | { clientIp: string }
    | { subject: string };
}

export interface SubjectTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
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
        userId: [] as Array<string | null>,
        projectId: [] as Array<string | null>,
        subject: [] as Array<string | null>,
        costUsd: [] as number[],
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
        columns.userId.push(row.userId ?? null);
        columns.projectId.push(row.projectId ?? null);
        columns.subject.push(row.subject ?? null);
        columns.costUsd.push(row.costUsd ?? 0);
        columns.createdAt.push(row.createdAt ? row.createdAt.toISOString() : now);
      }
      await db.execute(sql`
        INSERT INTO api_key_usage_log
          (environment, api_key_id, client_ip, method, route, model, status, latency_ms,
           prompt_tokens, completion_tokens, audio_seconds, user_id, project_id, subject, cost_usd, created_at)
        SELECT * FROM unnest(
          ${sql.param(columns.environment)}::varchar[], ${sql.param(columns.apiKeyId)}::text[], ${sql.param(columns.clientIp)}::text[],
          ${sql.param(columns.method)}::text[], ${sql.param(columns.route)}::text[], ${sql.param(columns.model)}::text[], ${sql.param(columns.status)}::int[],
          ${sql.param(columns.latencyMs)}::float8[], ${sql.param(columns.promptTokens)}::int[], ${sql.param(columns.completionTokens)}::int[],
          ${sql.param(columns.audioSeconds)}::float8[], ${sql.param(columns.userId)}::text[], ${sql.param(columns.projectId)}::text[],
          ${sql.param(columns.subject)}::text[], ${sql.param(columns.costUsd)}::float8[], ${sql.param(columns.createdAt)}::timestamptz[]
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

    async spend(query) {
      const column =
        query.groupBy === 'key'
          ? apiKeyUsageLog.apiKeyId
          : query.groupBy === 'user'
            ? apiKeyUsageLog.userId
            : apiKeyUsageLog.model;
      const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), 1000);
      const rows = await db
        .select({
          group: column,
          requests: sql<number>`count(*)::int`,
          promptTokens: sql<string>`coalesce(sum(${apiKeyUsageLog.promptTokens}), 0)::bigint`,
          completionTokens: sql<string>`coalesce(sum(${apiKeyUsageLog.completionTokens}), 0)::bigint`,
          costUsd: sql<number>`coalesce(sum(${apiKeyUsageLog.costUsd}), 0)::float8`,
        })
        .from(apiKeyUsageLog)
        .where(and(eq(apiKeyUsageLog.environment, query.environment), gte(apiKeyUsageLog.createdAt, query.since)))
        .groupBy(column)
        .orderBy(sql`5 desc`, sql`2 desc`, column)
        .limit(limit)
        .offset(Math.max(0, Math.trunc(query.offset ?? 0)));
      return rows.map((row) => ({
        group: row.group,
        requests: Number(row.requests),
        promptTokens: Number(row.promptTokens),
        completionTokens: Number(row.completionTokens),
        costUsd: Number(row.costUsd),
      }));
    },

    async totals(query) {
      const [row] = await db.select(totalColumns).from(apiKeyUsageLog).where(subjectCondition(query));
      return totalsOf(row);
    },

    async totalsByModel(query) {
      const rows = await db
        .select({ model: apiKeyUsageLog.model, ...totalColumns })
        .from(apiKeyUsageLog)
        .where(subjectCondition(query))
        .groupBy(apiKeyUsageLog.model)
        .orderBy(sql`5 desc`, sql`2 desc`, apiKeyUsageLog.model)
        .limit(100);
      return rows.map((row) => ({ model: row.model, ...totalsOf(row) }));
    },
  };
}

const totalColumns = {
  requests: sql<number>`count(*)::int`,
  promptTokens: sql<string>`coalesce(sum(${apiKeyUsageLog.promptTokens}), 0)::bigint`,
  completionTokens: sql<string>`coalesce(sum(${apiKeyUsageLog.completionTokens}), 0)::bigint`,
  costUsd: sql<number>`coalesce(sum(${apiKeyUsageLog.costUsd}), 0)::float8`,
};

function subjectCondition(query: SubjectTotalsQuery): SQL | undefined {
  const subject = query.subject;
  const condition =
    'apiKeyId' in subject
      ? eq(apiKeyUsageLog.apiKeyId, subject.apiKeyId)
      : 'userId' in subject
        ? eq(apiKeyUsageLog.userId, subject.userId)
        : 'projectId' in subject
          ? eq(apiKeyUsageLog.projectId, subject.projectId)
          : 'subject' in subject
            ? eq(apiKeyUsageLog.subject, subject.subject)
            : and(
                eq(apiKeyUsageLog.clientIp, subject.clientIp),
                isNull(apiKeyUsageLog.apiKeyId),
                isNull(apiKeyUsageLog.userId),
              );
  return and(eq(apiKeyUsageLog.environment, query.environment), gte(apiKeyUsageLog.createdAt, query.since), condition);
}

function totalsOf(
  row: { requests: number; promptTokens: string; completionTokens: string; costUsd: number } | undefined,
): SubjectTotals {
  return {
    requests: Number(row?.requests ?? 0),
    promptTokens: Number(row?.promptTokens ?? 0),
    completionTokens: Number(row?.completionTokens ?? 0),
    costUsd: Number(row?.costUsd ?? 0),
  };
}
