import { environments } from '@switchyard/core';
import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, index, pgTable, text, timestamp, varchar } from 'drizzle-orm/pg-core';

/** Where a skill call came from: the direct API, a chat's tool loop, the /mcp endpoint, or an async job. */
export const skillCallOrigins = ['api', 'chat', 'mcp', 'job'] as const;
export type SkillCallOrigin = (typeof skillCallOrigins)[number];

/**
 * How a skill call ended: `ok`; `error` (the skill reported a failure); `invalid` (input refused by the
 * skill's schema); `not_found` (no such skill); `timeout`; `unavailable` (the app did not answer);
 * `aborted` (the caller left).
 */
export const skillCallStatuses = ['ok', 'error', 'invalid', 'not_found', 'timeout', 'unavailable', 'aborted'] as const;
export type SkillCallStatus = (typeof skillCallStatuses)[number];

/**
 * One row per skill call, in the database of the caller's environment. A request can make many calls
 * (a chat's tool loop) or none, and an async call runs outside any request, so calls are not columns
 * of `api_key_usage_log`. Keys live in prod, so `api_key_id` cannot be a foreign key.
 */
export const skillCalls = pgTable(
  'skill_calls',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    environment: varchar('environment', { length: 4, enum: environments }).notNull(),
    apiKeyId: text('api_key_id'),
    /** `key:<id>`, `user:<id>` or `ip:<address>`. */
    caller: text('caller').notNull(),
    app: text('app').notNull(),
    skill: text('skill').notNull(),
    via: text('via', { enum: skillCallOrigins }).notNull(),
    status: text('status', { enum: skillCallStatuses }).notNull(),
    /** The SY_ERR_* code of a call that did not run to a result. */
    errorCode: text('error_code'),
    durationMs: doublePrecision('duration_ms').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    check('skill_calls_environment_check', sql`${table.environment} IN ('prod', 'dev')`),
    index('skill_calls_created_at_idx').on(table.createdAt),
    index('skill_calls_app_skill_idx').on(table.app, table.skill, table.createdAt),
  ],
);

export type SkillCallRecord = typeof skillCalls.$inferSelect;
export type SkillCallInsert = Omit<typeof skillCalls.$inferInsert, 'id'>;
