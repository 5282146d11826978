import type { Environment } from '@switchyard/core';
import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from './client';
import {
  type ScheduleInsert,
  type ScheduleRow,
  type ScheduleRunOutcome,
  type ScheduleRunRow,
  scheduleRuns,
  schedules,
} from './schedules-schema';

export interface NewScheduleRun {
  scheduleId: string;
  tickAt: Date;
  manual: boolean;
  lateMs: number;
  outcome: ScheduleRunOutcome;
  jobId: string | null;
  error: { code: string | null; message: string } | null;
  firedAt: Date;
}

export interface ScheduleRunSummary {
  scheduleId: string;
  runs: number;
  /** Runs whose outcome was `failed`. */
  failed: number;
}

export interface SchedulesRepository {
  /** Inserts the row, or returns the stored one when the id exists (system schedules are made at every start). */
  insertIfMissing(row: ScheduleInsert): Promise<{ row: ScheduleRow; inserted: boolean }>;
  find(id: string): Promise<ScheduleRow | undefined>;
  /** Oldest first; only the named environments' schedules when given. */
  list(options?: { environments?: readonly Environment[]; ids?: readonly string[] }): Promise<ScheduleRow[]>;
  update(id: string, changes: Partial<Omit<ScheduleInsert, 'id' | 'createdAt'>>): Promise<ScheduleRow | undefined>;
  delete(id: string): Promise<boolean>;
  /**
   * Takes the lease of up to `limit` due, unpaused schedules whose lease is free or ran out. SKIP LOCKED
   * lets several processes claim side by side: each due row goes to one of them.
   */
  claimDue(options: { owner: string; now: Date; leaseUntil: Date; limit: number }): Promise<ScheduleRow[]>;
  /** Moves a claimed schedule to its next tick and frees the lease; false when the lease was no longer held. */
  advance(id: string, owner: string, nextRunAt: Date | null, now: Date): Promise<boolean>;
  /** Frees the lease without moving on (the tick is tried again at the next poll). */
  release(id: string, owner: string): Promise<void>;
  /** false when a run for this (schedule, tick) exists already: another process fired it. */
  recordRun(run: NewScheduleRun): Promise<boolean>;
  /** Newest first. */
  listRuns(scheduleId: string, limit: number): Promise<ScheduleRunRow[]>;
  /** The newest run of each schedule named. */
  latestRuns(scheduleIds: readonly string[]): Promise<ScheduleRunRow[]>;
  /** Records how a run's job ended. */
  settleRun(
    id: number,
    jobStatus: 'completed' | 'dead',
    error: { code: string | null; message: string } | null,
  ): Promise<void>;
  /** Runs, and runs that failed (not queued, or their job went to the dead-letter queue), per schedule. */
  summarise(scheduleIds: readonly string[]): Promise<ScheduleRunSummary[]>;
  /** Runs deleted: those fired before `before`. */
  purgeRuns(before: Date): Promise<number>;
}

export function createSchedulesRepository(db: Db): SchedulesRepository {
  const find = async (id: string) => {
    const [row] = await db.select().from(schedules).where(eq(schedules.id, id));
    return row;
  };

  return {
    async insertIfMissing(row) {
      const [inserted] = await db
        .insert(schedules)
        .values(row)
        .onConflictDoNothing({ target: schedules.id })
        .returning();
      if (inserted) return { row: inserted, inserted: true };
      const existing = await find(row.id);
      if (!existing) throw new Error(`schedule '${row.id}' conflicted on insert but is gone`);
      return { row: existing, inserted: false };
    },

    find,

    list(options = {}) {
      const conditions = [];
      if (options.environments) conditions.push(inArray(schedules.environment, [...options.environments]));
      if (options.ids) conditions.push(inArray(schedules.id, [...options.ids]));
      return db
        .select()
        .from(schedules)
        .where(and(...conditions))
        .orderBy(asc(schedules.createdAt), asc(schedules.id));
    },

    async update(id, changes) {
      const [row] = await db.update(schedules).set(changes).where(eq(schedules.id, id)).returning();
      return row;
    },

    async delete(id) {
      const deleted = await db.delete(schedules).where(eq(schedules.id, id)).returning({ id: schedules.id });
      return deleted.length > 0;
    },

    claimDue({ owner, now, leaseUntil, limit }) {
      const candidates = db
        .select({ id: schedules.id })
        .from(schedules)
        .where(
          and(
            eq(schedules.paused, false),
            isNotNull(schedules.nextRunAt),
            lte(schedules.nextRunAt, now),
            or(isNull(schedules.leaseExpiresAt), lt(schedules.leaseExpiresAt, now)),
          ),
        )
        .orderBy(asc(schedules.nextRunAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      return db
        .update(schedules)
        .set({ leaseOwner: owner, leaseExpiresAt: leaseUntil })
        .where(inArray(schedules.id, candidates))
        .returning();
    },

    async advance(id, owner, nextRunAt, now) {
      const updated = await db
        .update(schedules)
        .set({ nextRunAt, leaseOwner: null, leaseExpiresAt: null, updatedAt: now })
        .where(and(eq(schedules.id, id), eq(schedules.leaseOwner, owner)))
        .returning({ id: schedules.id });
      return updated.length > 0;
    },

    async release(id, owner) {
      await db
        .update(schedules)
        .set({ leaseOwner: null, leaseExpiresAt: null })
        .where(and(eq(schedules.id, id), eq(schedules.leaseOwner, owner)));
    },

    async recordRun(run) {
      const inserted = await db
        .insert(scheduleRuns)
        .values(run)
        .onConflictDoNothing({ target: [scheduleRuns.scheduleId, scheduleRuns.tickAt] })
        .returning({ id: scheduleRuns.id });
      return inserted.length > 0;
    },

    listRuns(scheduleId, limit) {
      return db
        .select()
        .from(scheduleRuns)
        .where(eq(scheduleRuns.scheduleId, scheduleId))
        .orderBy(desc(scheduleRuns.firedAt), desc(scheduleRuns.id))
        .limit(Math.min(Math.max(Math.trunc(limit), 1), 1_000));
    },

    async latestRuns(scheduleIds) {
      if (scheduleIds.length === 0) return [];
      return db
        .selectDistinctOn([scheduleRuns.scheduleId])
        .from(scheduleRuns)
        .where(inArray(scheduleRuns.scheduleId, [...scheduleIds]))
        .orderBy(scheduleRuns.scheduleId, desc(scheduleRuns.firedAt), desc(scheduleRuns.id));
    },

    async settleRun(id, jobStatus, error) {
      await db
        .update(scheduleRuns)
        .set({ jobStatus, ...(error ? { error } : {}) })
        .where(eq(scheduleRuns.id, id));
    },

    async summarise(scheduleIds) {
      if (scheduleIds.length === 0) return [];
      return db
        .select({
          scheduleId: scheduleRuns.scheduleId,
          runs: sql<number>`count(*)::int`,
          failed: sql<number>`(count(*) filter (where ${scheduleRuns.outcome} = 'failed' or ${scheduleRuns.jobStatus} = 'dead'))::int`,
        })
        .from(scheduleRuns)
        .where(inArray(scheduleRuns.scheduleId, [...scheduleIds]))
        .groupBy(scheduleRuns.scheduleId);
    },

    async purgeRuns(before) {
      const deleted = await db
        .delete(scheduleRuns)
        .where(lt(scheduleRuns.firedAt, before))
        .returning({ id: scheduleRuns.id });
      return deleted.length;
    },
  };
}
