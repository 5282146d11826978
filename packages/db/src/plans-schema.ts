import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export const budgetPeriods = ['day', 'month'] as const;
export const planSubjectTypes = ['user', 'key', 'project'] as const;
export type PlanSubjectType = (typeof planSubjectTypes)[number];

/**
 * Control plane (prod database): what a caller may use and how much. Null limits mean "not set by
 * the plan": the run-time settings apply (rate limits, quotas), or there is no budget.
 */
export const plans = pgTable(
  'plans',
  {
    /** Chosen by the admin (e.g. `free`, `pro`): what the admin API and the webhook name. */
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** The plan of every caller without an assignment; at most one. */
    isDefault: boolean('is_default').notNull().default(false),
    /** Model ids or aliases the plan allows; null: every model. */
    models: text('models').array(),
    /** App ids the plan allows; null: every app. */
    apps: text('apps').array(),
    userRequestsPerMinute: integer('user_requests_per_minute'),
    keyRequestsPerMinute: integer('key_requests_per_minute'),
    ipRequestsPerMinute: integer('ip_requests_per_minute'),
    budgetPeriod: text('budget_period', { enum: budgetPeriods }).notNull().default('month'),
    tokenBudget: bigint('token_budget', { mode: 'number' }),
    spendBudgetUsd: doublePrecision('spend_budget_usd'),
    /** Percent of a budget at which the subject's user is notified once per period. */
    softLimitPercent: integer('soft_limit_percent').notNull().default(80),
    imagesPerDay: integer('images_per_day'),
    audioMinutesPerDay: integer('audio_minutes_per_day'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    check('plans_budget_period_check', sql`${table.budgetPeriod} IN ('day', 'month')`),
    check('plans_soft_limit_percent_check', sql`${table.softLimitPercent} BETWEEN 1 AND 100`),
  ],
);

/**
 * Which plan a user, an API key or a project is on (prod database). A key's own assignment wins;
 * then, for a request made within a project, the project's; then the user's.
 */
export const planAssignments = pgTable(
  'plan_assignments',
  {
    subjectType: text('subject_type', { enum: planSubjectTypes }).notNull(),
    subjectId: text('subject_id').notNull(),
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id, { onDelete: 'restrict' }),
    /** `admin` (the admin API) or `webhook` (an external billing system). */
    source: text('source').notNull(),
    /** The billing system's own reference (subscription id), when it sent one. */
    externalReference: text('external_reference'),
    assignedAt: timestamp('assigned_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'plan_assignments_pkey', columns: [table.subjectType, table.subjectId] }),
    check('plan_assignments_subject_type_check', sql`${table.subjectType} IN ('user', 'key', 'project')`),
    index('plan_assignments_plan_id_idx').on(table.planId),
  ],
);

export type PlanRow = typeof plans.$inferSelect;
export type PlanInsert = typeof plans.$inferInsert;
export type PlanAssignmentRow = typeof planAssignments.$inferSelect;
