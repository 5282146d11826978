import type { Environment } from '@switchyard/core';
import { and, asc, desc, eq, inArray, lt, lte, or, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { type JobRow, type JobStatusColumn, type JobWorkerRow, jobs, jobWorkers, type StoredJobError } from './schema';

export interface NewJobRow {
  /** A caller-chosen id deduplicates: inserting it again returns the stored row. */
  id: string;
  name: string;
  environment: Environment;
  payload: unknown;
  /** The enqueuing request's id and trace context (null: none). */
  trace?: { requestId?: string; traceparent?: string; tracestate?: string } | null;
  maxAttempts: number;
  runAt: Date;
  now: Date;
}

/** Identifies one claim of a row: a worker's write only lands while the row is still that claim. */
export interface JobLease {
  id: string;
  workerId: string;
  attempt: number;
}

export interface ClaimOptions {
  name: string;
  workerId: string;
  limit: number;
  now: Date;
  lockExpiresAt: Date;
}

export interface JobStatusCount {
  name: string;
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  dead: number;
  completedRecently: number;
  deadRecently: number;
}

export interface JobsRepository {
  insert(job: NewJobRow): Promise<{ row: JobRow; inserted: boolean }>;
  findById(id: string): Promise<JobRow | undefined>;
  /**
   * Takes up to `limit` due rows of `name` (waiting or delayed with run_at ≤ now,
   * or active with an expired lease) and counts an attempt on each. SKIP LOCKED
   * lets workers in several processes claim side by side without waiting.
   */
  claim(options: ClaimOptions): Promise<JobRow[]>;
  /** Extends the leases this worker still holds; returns the ids it still holds. */
  renewLeases(workerId: string, ids: readonly string[], lockExpiresAt: Date, now: Date): Promise<string[]>;
  setProgress(lease: JobLease, progress: unknown, now: Date): Promise<boolean>;
  complete(lease: JobLease, result: unknown, now: Date): Promise<boolean>;
  /** `retryAt` null: the job goes to the dead-letter queue. `attempts` corrects the stored count. */
  fail(
    lease: JobLease,
    failure: { error: StoredJobError; retryAt: Date | null; attempts?: number },
    now: Date,
  ): Promise<boolean>;
  /** Hands a claimed job back as waiting and gives the attempt back (shutdown, not the job's fault). */
  release(lease: JobLease, now: Date): Promise<boolean>;
  /** `environments`: only jobs of these (an admin's own); every environment when absent. */
  listDead(options: {
    name?: string;
    environments?: readonly Environment[];
    limit: number;
    offset: number;
  }): Promise<JobRow[]>;
  replay(id: string, now: Date): Promise<{ row: JobRow } | { problem: 'not-found' | 'not-dead' }>;
  discard(id: string): Promise<'discarded' | 'not-found' | 'not-dead'>;
  /** Counts per name; "recently" means finished after `since`. */
  countByName(now: Date, since: Date, environments?: readonly Environment[]): Promise<JobStatusCount[]>;
  purgeCompleted(finishedBefore: Date): Promise<number>;
  heartbeat(worker: Omit<JobWorkerRow, 'startedAt'> & { startedAt: Date }): Promise<void>;
  removeWorker(workerId: string): Promise<void>;
  listWorkers(): Promise<JobWorkerRow[]>;
  purgeWorkers(lastSeenBefore: Date): Promise<number>;
}

/** A lease's identity, as values or as placeholders of a statement built once (complete). */
type LeaseMatch = { readonly [K in 'id' | 'workerId' | 'attempt']: JobLease[K] | Placeholder };

const holds = (lease: LeaseMatch) =>
  and(
    eq(jobs.id, lease.id),
    eq(jobs.status, 'active'),
    eq(jobs.lockedBy, lease.workerId),
    eq(jobs.attempts, lease.attempt),
  );

const deadStatus: JobStatusColumn = 'dead';

/** Builds on first use, then hands out the same one. */
function onFirstUse<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

export function createJobsRepository(db: Db): JobsRepository {
  const findById = async (id: string) => {
    const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
    return row;
  };

  /*
   * Every job is claimed and completed once: these two statements are built once per repository and
   * run with their values, because building them is most of their cost on PGlite (measured in the
   * webhook-ack bench: ~1.2 ms of 2.4 ms per claim). The empty name keeps them unnamed statements on
   * PostgreSQL, as every other query here (nothing is prepared on a pooled connection).
   */
  const claimStatement = onFirstUse(() => {
    const now = sql.placeholder('now');
    const due = or(
      and(inArray(jobs.status, ['waiting', 'delayed']), lte(jobs.runAt, now)),
      and(eq(jobs.status, 'active'), lt(jobs.lockExpiresAt, now)),
    );
    const candidates = db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.name, sql.placeholder('name')), due))
      .orderBy(asc(jobs.runAt), asc(jobs.createdAt))
      .limit(sql.placeholder('limit'))
      .for('update', { skipLocked: true });
    return db
      .update(jobs)
      .set({
        status: 'active',
        attempts: sql`${jobs.attempts} + 1`,
        lockedBy: sql`${sql.placeholder('workerId')}`,
        lockExpiresAt: sql`${sql.placeholder('lockExpiresAt')}`,
        updatedAt: sql`${sql.placeholder('updatedAt')}`,
      })
      .where(inArray(jobs.id, candidates))
      .returning()
      .prepare('');
  });
  const completeStatement = onFirstUse(() =>
    db
      .update(jobs)
      .set({
        status: 'completed',
        result: sql`${sql.placeholder('result')}`,
        lockedBy: null,
        lockExpiresAt: null,
        updatedAt: sql`${sql.placeholder('finishedAt')}`,
        finishedAt: sql`${sql.placeholder('finishedAt')}`,
      })
      .where(
        holds({
          id: sql.placeholder('id'),
          workerId: sql.placeholder('workerId'),
          attempt: sql.placeholder('attempt'),
        }),
      )
      .returning({ id: jobs.id })
      .prepare(''),
  );

  return {
    async insert(job) {
      const [inserted] = await db
        .insert(jobs)
        .values({
          id: job.id,
          name: job.name,
          environment: job.environment,
          payload: job.payload,
          trace: job.trace ?? null,
          status: job.runAt.getTime() > job.now.getTime() ? 'delayed' : 'waiting',
          attempts: 0,
          maxAttempts: job.maxAttempts,
          runAt: job.runAt,
          createdAt: job.now,
          updatedAt: job.now,
        })
        .onConflictDoNothing({ target: jobs.id })
        .returning();
      if (inserted) return { row: inserted, inserted: true };
      const [existing] = await db.select().from(jobs).where(eq(jobs.id, job.id));
      if (!existing) throw new Error(`job '${job.id}' conflicted on insert but is gone`);
      return { row: existing, inserted: false };
    },

    findById,

    claim(options) {
      // Values set by the statement itself pass as the driver's text; those compared go through the columns.
      return claimStatement().execute({
        name: options.name,
        workerId: options.workerId,
        limit: options.limit,
        now: options.now,
        lockExpiresAt: options.lockExpiresAt.toISOString(),
        updatedAt: options.now.toISOString(),
      });
    },

    async renewLeases(workerId, ids, lockExpiresAt, now) {
      if (ids.length === 0) return [];
      const renewed = await db
        .update(jobs)
        .set({ lockExpiresAt, updatedAt: now })
        .where(and(inArray(jobs.id, [...ids]), eq(jobs.status, 'active'), eq(jobs.lockedBy, workerId)))
        .returning({ id: jobs.id });
      return renewed.map((row) => row.id);
    },

    async setProgress(lease, progress, now) {
      const updated = await db
        .update(jobs)
        .set({ progress, updatedAt: now })
        .where(holds(lease))
        .returning({ id: jobs.id });
      return updated.length > 0;
    },

    async complete(lease, result, now) {
      const updated = await completeStatement().execute({
        id: lease.id,
        workerId: lease.workerId,
        attempt: lease.attempt,
        result: result === null || result === undefined ? null : JSON.stringify(result),
        finishedAt: now.toISOString(),
      });
      return updated.length > 0;
    },

    async fail(lease, failure, now) {
      const dead = failure.retryAt === null;
      const updated = await db
        .update(jobs)
        .set({
          status: dead ? 'dead' : 'delayed',
          ...(failure.retryAt === null ? {} : { runAt: failure.retryAt }),
          lastError: failure.error,
          lockedBy: null,
          lockExpiresAt: null,
          updatedAt: now,
          finishedAt: dead ? now : null,
          ...(failure.attempts === undefined ? {} : { attempts: failure.attempts }),
        })
        .where(holds(lease))
        .returning({ id: jobs.id });
      return updated.length > 0;
    },

    async release(lease, now) {
      const updated = await db
        .update(jobs)
        .set({
          status: 'waiting',
          attempts: sql`greatest(${jobs.attempts} - 1, 0)`,
          runAt: now,
          lockedBy: null,
          lockExpiresAt: null,
          updatedAt: now,
        })
        .where(holds(lease))
        .returning({ id: jobs.id });
      return updated.length > 0;
    },

    listDead(options) {
      const conditions = [eq(jobs.status, deadStatus)];
      if (options.name !== undefined) conditions.push(eq(jobs.name, options.name));
      if (options.environments !== undefined) conditions.push(inArray(jobs.environment, [...options.environments]));
      return db
        .select()
        .from(jobs)
        .where(and(...conditions))
        .orderBy(desc(jobs.finishedAt), desc(jobs.id))
        .limit(options.limit)
        .offset(options.offset);
    },

    async replay(id, now) {
      const [row] = await db
        .update(jobs)
        .set({
          status: 'waiting',
          attempts: 0,
          runAt: now,
          lastError: null,
          result: null,
          progress: null,
          lockedBy: null,
          lockExpiresAt: null,
          updatedAt: now,
          finishedAt: null,
        })
        .where(and(eq(jobs.id, id), eq(jobs.status, deadStatus)))
        .returning();
      if (row) return { row };
      return { problem: (await findById(id)) ? 'not-dead' : 'not-found' };
    },

    async discard(id) {
      const deleted = await db
        .delete(jobs)
        .where(and(eq(jobs.id, id), eq(jobs.status, deadStatus)))
        .returning({ id: jobs.id });
      if (deleted.length > 0) return 'discarded';
      return (await findById(id)) ? 'not-dead' : 'not-found';
    },

    async countByName(now, since, environments) {
      const counted = (condition: SQL) => sql<number>`(count(*) filter (where ${condition}))::int`;
      const rows = await db
        .select({
          name: jobs.name,
          waiting: counted(sql`${jobs.status} in ('waiting', 'delayed') and ${jobs.runAt} <= ${now}`),
          delayed: counted(sql`${jobs.status} in ('waiting', 'delayed') and ${jobs.runAt} > ${now}`),
          active: counted(sql`${jobs.status} = 'active'`),
          completed: counted(sql`${jobs.status} = 'completed'`),
          dead: counted(sql`${jobs.status} = 'dead'`),
          completedRecently: counted(sql`${jobs.status} = 'completed' and ${jobs.finishedAt} > ${since}`),
          deadRecently: counted(sql`${jobs.status} = 'dead' and ${jobs.finishedAt} > ${since}`),
        })
        .from(jobs)
        .where(environments === undefined ? undefined : inArray(jobs.environment, [...environments]))
        .groupBy(jobs.name)
        .orderBy(asc(jobs.name));
      return rows.map((row) => ({
        name: row.name,
        waiting: Number(row.waiting),
        delayed: Number(row.delayed),
        active: Number(row.active),
        completed: Number(row.completed),
        dead: Number(row.dead),
        completedRecently: Number(row.completedRecently),
        deadRecently: Number(row.deadRecently),
      }));
    },

    async purgeCompleted(finishedBefore) {
      const deleted = await db
        .delete(jobs)
        .where(and(eq(jobs.status, 'completed'), lt(jobs.finishedAt, finishedBefore)))
        .returning({ id: jobs.id });
      return deleted.length;
    },

    async heartbeat(worker) {
      await db
        .insert(jobWorkers)
        .values(worker)
        .onConflictDoUpdate({
          target: jobWorkers.workerId,
          set: { names: worker.names, active: worker.active, lastSeenAt: worker.lastSeenAt },
        });
    },

    async removeWorker(workerId) {
      await db.delete(jobWorkers).where(eq(jobWorkers.workerId, workerId));
    },

    listWorkers: () => db.select().from(jobWorkers).orderBy(desc(jobWorkers.lastSeenAt), asc(jobWorkers.workerId)),

    async purgeWorkers(lastSeenBefore) {
      const deleted = await db
        .delete(jobWorkers)
        .where(lt(jobWorkers.lastSeenAt, lastSeenBefore))
        .returning({ workerId: jobWorkers.workerId });
      return deleted.length;
    },
  };
}
