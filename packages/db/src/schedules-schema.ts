import { environments } from '@switchyard/core';
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgTable, text, timestamp, unique, varchar } from 'drizzle-orm/pg-core';
import { jsonValue } from './json-column';

/** `system`: made by the platform at start (purges); `admin`: through the admin API; `search`: a user's saved search. */
export const scheduleOrigins = ['system', 'admin', 'search'] as const;
export type ScheduleOrigin = (typeof scheduleOrigins)[number];

/** What happens to ticks that passed while nothing ran: `skip` them, or `run_once` for all of them together. */
export const missedTickPolicies = ['skip', 'run_once'] as const;
export type MissedTickPolicy = (typeof missedTickPolicies)[number];

/**
 * Durable schedules, in the control-plane database with their environment in a column (like the jobs
 * they enqueue). Either `cron` (with `timezone`) or `interval_ms` is set. In embedded mode a process
 * claims a due row by taking its lease (`lease_owner`, `lease_expires_at`) and moves `next_run_at` on;
 * in server mode BullMQ's job schedulers decide the ticks and `next_run_at` is only informative.
 */
export const schedules = pgTable(
  'schedules',
  {
    id: text('id').primaryKey(),
    environment: varchar('environment', { length: 4, enum: environments }).notNull(),
    name: text('name').notNull(),
    origin: text('origin', { enum: scheduleOrigins }).notNull(),
    jobName: text('job_name').notNull(),
    payload: jsonValue('payload').notNull(),
    cron: text('cron'),
    timezone: text('timezone'),
    intervalMs: bigint('interval_ms', { mode: 'number' }),
    missedPolicy: text('missed_policy', { enum: missedTickPolicies }).notNull(),
    paused: boolean('paused').notNull().default(false),
    /** The next tick; null while paused. */
    nextRunAt: timestamp('next_run_at', { withTimezone: true, mode: 'date' }),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    check('schedules_environment_check', sql`${table.environment} IN ('prod', 'dev')`),
    check(
      'schedules_timing_check',
      sql`(${table.cron} IS NULL) <> (${table.intervalMs} IS NULL) AND (${table.intervalMs} IS NULL OR ${table.intervalMs} > 0)`,
    ),
    index('schedules_due_idx').on(table.paused, table.nextRunAt),
  ],
);

/** `enqueued`: the tick's job was queued; `skipped`: a missed tick dropped by policy `skip`; `failed`: it could not be queued. */
export const scheduleRunOutcomes = ['enqueued', 'skipped', 'failed'] as const;
export type ScheduleRunOutcome = (typeof scheduleRunOutcomes)[number];

/**
 * One row per tick that fired (or was run by hand). The unique (schedule, tick) pair is what makes a
 * tick fire once however many processes see it due: only one insert wins.
 */
export const scheduleRuns = pgTable(
  'schedule_runs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    scheduleId: text('schedule_id')
      .notNull()
      .references(() => schedules.id, { onDelete: 'cascade' }),
    /** The tick's due time (for a run by hand: when it was asked for). */
    tickAt: timestamp('tick_at', { withTimezone: true, mode: 'date' }).notNull(),
    manual: boolean('manual').notNull().default(false),
    /** The tick fired this many ms after it was due (a missed tick caught up has a large value). */
    lateMs: integer('late_ms').notNull().default(0),
    outcome: text('outcome', { enum: scheduleRunOutcomes }).notNull(),
    jobId: text('job_id'),
    /** How the job ended (`completed` or `dead`), filled in when a read finds it finished; null before. */
    jobStatus: text('job_status'),
    error: jsonValue('error').$type<{ code: string | null; message: string } | null>(),
    firedAt: timestamp('fired_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    unique('schedule_runs_tick_unique').on(table.scheduleId, table.tickAt),
    index('schedule_runs_schedule_idx').on(table.scheduleId, table.firedAt),
  ],
);

export type ScheduleRow = typeof schedules.$inferSelect;
export type ScheduleInsert = typeof schedules.$inferInsert;
export type ScheduleRunRow = typeof scheduleRuns.$inferSelect;
