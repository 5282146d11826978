import type { Environment } from '@switchyard/core';
import { and, count, desc, eq, type SQL } from 'drizzle-orm';
import type { Db } from './client';
import { apiKeyUsageLog, type UsageLogInsert, type UsageLogRecord } from './schema';

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
}

/**
 * PostgreSQL accepts at most 65,535 bind parameters per statement; with twelve
 * columns that is 5,461 rows. Larger batches are split, inside one transaction.
 */
const maximumRowsPerStatement = 5_000;

export function createUsageRepository(db: Db): UsageRepository {
  return {
    async insertMany(rows) {
      if (rows.length === 0) return;
      if (rows.length <= maximumRowsPerStatement) {
        await db.insert(apiKeyUsageLog).values([...rows]);
        return;
      }
      await db.transaction(async (transaction) => {
        for (let start = 0; start < rows.length; start += maximumRowsPerStatement) {
          await transaction.insert(apiKeyUsageLog).values(rows.slice(start, start + maximumRowsPerStatement));
        }
      });
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
  };
}
