import type { Environment } from '@switchyard/core';
import { and, count, desc, eq, gte, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { type SkillCallInsert, type SkillCallRecord, type SkillCallStatus, skillCalls } from './skill-calls-schema';

export interface SkillCallFilter {
  environment?: Environment;
  app?: string;
  skill?: string;
  status?: SkillCallStatus;
  apiKeyId?: string;
  /** Only calls at or after this time. */
  since?: Date;
}

export interface SkillCallSummary {
  app: string;
  skill: string;
  calls: number;
  /** Calls that did not end `ok`. */
  failures: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface SkillCallRepository {
  /** One multi-row INSERT (the usage writer batches rows off the request path). */
  insertMany(rows: readonly SkillCallInsert[]): Promise<void>;
  /** Newest first; `limit` defaults to 100, at most 1,000. */
  list(filter?: SkillCallFilter & { limit?: number; offset?: number }): Promise<SkillCallRecord[]>;
  /** Calls, failures and duration percentiles per app and skill, most called first. */
  summary(filter?: SkillCallFilter): Promise<SkillCallSummary[]>;
  count(filter?: SkillCallFilter): Promise<number>;
}

function conditionsOf(filter: SkillCallFilter): SQL | undefined {
  const conditions: SQL[] = [];
  if (filter.environment) conditions.push(eq(skillCalls.environment, filter.environment));
  if (filter.app !== undefined) conditions.push(eq(skillCalls.app, filter.app));
  if (filter.skill !== undefined) conditions.push(eq(skillCalls.skill, filter.skill));
  if (filter.status !== undefined) conditions.push(eq(skillCalls.status, filter.status));
  if (filter.apiKeyId !== undefined) conditions.push(eq(skillCalls.apiKeyId, filter.apiKeyId));
  if (filter.since) conditions.push(gte(skillCalls.createdAt, filter.since));
  return and(...conditions);
}

export function createSkillCallRepository(db: Db): SkillCallRepository {
  return {
    async insertMany(rows) {
      if (rows.length === 0) return;
      await db.insert(skillCalls).values([...rows]);
    },

    list(filter = {}) {
      const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1_000);
      return db
        .select()
        .from(skillCalls)
        .where(conditionsOf(filter))
        .orderBy(desc(skillCalls.createdAt), desc(skillCalls.id))
        .limit(limit)
        .offset(Math.max(Math.trunc(filter.offset ?? 0), 0));
    },

    async summary(filter = {}) {
      const rows = await db
        .select({
          app: skillCalls.app,
          skill: skillCalls.skill,
          calls: count(),
          failures: sql<number>`count(*) filter (where ${skillCalls.status} <> 'ok')`,
          p50: sql<number | null>`percentile_cont(0.5) within group (order by ${skillCalls.durationMs})`,
          p95: sql<number | null>`percentile_cont(0.95) within group (order by ${skillCalls.durationMs})`,
        })
        .from(skillCalls)
        .where(conditionsOf(filter))
        .groupBy(skillCalls.app, skillCalls.skill)
        .orderBy(desc(count()), skillCalls.app, skillCalls.skill);
      // Both drivers may hand aggregates back as strings.
      return rows.map((row) => ({
        app: row.app,
        skill: row.skill,
        calls: Number(row.calls),
        failures: Number(row.failures),
        p50Ms: row.p50 === null ? null : Number(row.p50),
        p95Ms: row.p95 === null ? null : Number(row.p95),
      }));
    },

    async count(filter = {}) {
      const [result] = await db.select({ value: count() }).from(skillCalls).where(conditionsOf(filter));
      return Number(result?.value ?? 0);
    },
  };
}
