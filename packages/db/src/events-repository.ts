import type { Environment } from '@switchyard/core';
import { and, asc, desc, eq, gt, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from './client';
import {
  type EventDeadLetterRow,
  type EventDeliveryRow,
  type EventFlowLogRow,
  type EventFlowRow,
  eventConsumed,
  eventDeadLetters,
  eventDeliveries,
  eventFlowLog,
  eventFlows,
  eventOutbox,
  eventSubscriptions,
  type StoredEventEnvelope,
  type StoredEventError,
} from './events-schema';

/** Committed outbox rows are announced here: NOTIFY is transactional, so it arrives only on commit. */
export const eventOutboxChannel = 'switchyard_event_outbox';

export interface NewDeadLetter {
  id: string;
  groupName: string;
  envelope: StoredEventEnvelope;
  attempts: number;
  lastError: StoredEventError;
  deadAt: Date;
}

/** The bus's bookkeeping that every backend keeps in the control-plane database. */
export interface EventsRepository {
  /** Takes a transaction (or the database) so the event commits together with the caller's state change. */
  insertOutbox(executor: Db, envelope: StoredEventEnvelope): Promise<void>;
  listOutbox(limit: number): Promise<StoredEventEnvelope[]>;
  deleteOutbox(ids: readonly string[]): Promise<void>;
  /**
   * PostgreSQL, where several processes relay: locks up to `limit` of the oldest rows no other
   * relay holds (FOR UPDATE SKIP LOCKED), hands them to `publish` and deletes them in the same
   * transaction, so two processes never publish the same row (a crash in between releases it for
   * the next relay). Returns how many rows it took.
   */
  claimOutbox(limit: number, publish: (envelopes: StoredEventEnvelope[]) => Promise<void>): Promise<number>;
  /** The ones among `eventIds` that `groupName` recorded as handled (one query for all of them). */
  consumedAmong(groupName: string, eventIds: readonly string[]): Promise<Set<string>>;
  /** Records them as handled by `groupName` in one statement; recording one again is harmless. */
  markConsumed(groupName: string, eventIds: readonly string[], now: Date): Promise<void>;
  /** Records one inside the caller's transaction; false when it was recorded before (nothing written). */
  recordConsumedIn(executor: Db, groupName: string, eventId: string, now: Date): Promise<boolean>;
  purgeConsumed(before: Date): Promise<number>;
  /** A second dead letter of the same event and group replaces the first. */
  addDeadLetter(deadLetter: NewDeadLetter): Promise<void>;
  listDeadLetters(options: {
    environments?: readonly Environment[];
    groupName?: string;
    limit: number;
    offset: number;
  }): Promise<EventDeadLetterRow[]>;
  findDeadLetter(id: string): Promise<EventDeadLetterRow | undefined>;
  /** Deletes it and returns it, or undefined when another replay took it first. */
  takeDeadLetter(id: string): Promise<EventDeadLetterRow | undefined>;
  createFlow(flow: { id: string; environment: Environment; owner: string; now: Date }): Promise<void>;
  findFlow(id: string): Promise<EventFlowRow | undefined>;
  /** Returns false when the event was recorded before (a redelivery). */
  appendFlowLog(envelope: StoredEventEnvelope & { flowId: string }): Promise<boolean>;
  readFlowLog(flowId: string, afterSequence: number, limit: number): Promise<EventFlowLogRow[]>;
}

/** The embedded backend's queue tables. */
export interface EventDeliveriesRepository {
  subscribe(groupName: string, eventNames: readonly string[]): Promise<void>;
  /**
   * One delivery per group subscribed to each event, in one statement and in their order; an event
   * id already queued for a group is skipped. Returns the names of the events that got a new delivery.
   */
  enqueueMany(envelopes: readonly StoredEventEnvelope[], runAt: Date): Promise<Set<string>>;
  /** A delivery for one group only (a dead letter replayed). */
  enqueueForGroup(groupName: string, envelope: StoredEventEnvelope, runAt: Date): Promise<void>;
  /** Due deliveries of `groupName` (or ones whose lease ran out), with their attempt counted. */
  claim(options: {
    groupName: string;
    eventNames: readonly string[];
    workerId: string;
    limit: number;
    now: Date;
    lockExpiresAt: Date;
  }): Promise<EventDeliveryRow[]>;
  renewLeases(workerId: string, ids: readonly number[], lockExpiresAt: Date): Promise<void>;
  /** Done or dead-lettered: the rows go, in one statement. */
  removeMany(ids: readonly number[], workerId: string): Promise<void>;
  retry(id: number, workerId: string, runAt: Date): Promise<void>;
  /** The earliest due time among `groupName`'s deliveries, for the wake-up timer. */
  nextRunAt(groupName: string, eventNames: readonly string[]): Promise<Date | undefined>;
}

export function createEventsRepository(db: Db): EventsRepository {
  return {
    async insertOutbox(executor, envelope) {
      await executor.insert(eventOutbox).values({ id: envelope.id, envelope }).onConflictDoNothing();
      await executor.execute(sql`SELECT pg_notify(${eventOutboxChannel}, ${envelope.id})`);
    },
    async listOutbox(limit) {
      const rows = await db
        .select({ envelope: eventOutbox.envelope })
        .from(eventOutbox)
        .orderBy(asc(eventOutbox.createdAt), asc(eventOutbox.id))
        .limit(limit);
      return rows.map((row) => row.envelope);
    },
    async deleteOutbox(ids) {
      if (ids.length > 0) await db.delete(eventOutbox).where(inArray(eventOutbox.id, [...ids]));
    },
    async claimOutbox(limit, publish) {
      return db.transaction(async (transaction) => {
        const rows = await transaction
          .select({ id: eventOutbox.id, envelope: eventOutbox.envelope })
          .from(eventOutbox)
          .orderBy(asc(eventOutbox.createdAt), asc(eventOutbox.id))
          .limit(limit)
          .for('update', { skipLocked: true });
        if (rows.length === 0) return 0;
        await publish(rows.map((row) => row.envelope));
        await transaction.delete(eventOutbox).where(
          inArray(
            eventOutbox.id,
            rows.map((row) => row.id),
          ),
        );
        return rows.length;
      });
    },
    async consumedAmong(groupName, eventIds) {
      if (eventIds.length === 0) return new Set();
      const rows = await db
        .select({ eventId: eventConsumed.eventId })
        .from(eventConsumed)
        .where(and(eq(eventConsumed.groupName, groupName), inArray(eventConsumed.eventId, [...new Set(eventIds)])));
      return new Set(rows.map((row) => row.eventId));
    },
    async markConsumed(groupName, eventIds, now) {
      if (eventIds.length === 0) return;
      await db
        .insert(eventConsumed)
        .values([...new Set(eventIds)].map((eventId) => ({ groupName, eventId, consumedAt: now })))
        .onConflictDoNothing();
    },
    async recordConsumedIn(executor, groupName, eventId, now) {
      const inserted = await executor
        .insert(eventConsumed)
        .values({ groupName, eventId, consumedAt: now })
        .onConflictDoNothing()
        .returning({ eventId: eventConsumed.eventId });
      return inserted.length > 0;
    },
    async purgeConsumed(before) {
      const deleted = await db
        .delete(eventConsumed)
        .where(lt(eventConsumed.consumedAt, before))
        .returning({ id: eventConsumed.eventId });
      return deleted.length;
    },
    async addDeadLetter(deadLetter) {
      const values = {
        id: deadLetter.id,
        groupName: deadLetter.groupName,
        eventId: deadLetter.envelope.id,
        eventName: deadLetter.envelope.name,
        environment: deadLetter.envelope.environment,
        envelope: deadLetter.envelope,
        attempts: deadLetter.attempts,
        lastError: deadLetter.lastError,
        deadAt: deadLetter.deadAt,
      };
      await db
        .insert(eventDeadLetters)
        .values(values)
        .onConflictDoUpdate({
          target: [eventDeadLetters.groupName, eventDeadLetters.eventId],
          set: { attempts: values.attempts, lastError: values.lastError, deadAt: values.deadAt },
        });
    },
    listDeadLetters(options) {
      const conditions = [
        options.environments ? inArray(eventDeadLetters.environment, [...options.environments]) : undefined,
        options.groupName ? eq(eventDeadLetters.groupName, options.groupName) : undefined,
      ];
      return db
        .select()
        .from(eventDeadLetters)
        .where(and(...conditions))
        .orderBy(desc(eventDeadLetters.deadAt), desc(eventDeadLetters.id))
        .limit(options.limit)
        .offset(options.offset);
    },
    async findDeadLetter(id) {
      const [row] = await db.select().from(eventDeadLetters).where(eq(eventDeadLetters.id, id));
      return row;
    },
    async takeDeadLetter(id) {
      const [row] = await db.delete(eventDeadLetters).where(eq(eventDeadLetters.id, id)).returning();
      return row;
    },
    async createFlow(flow) {
      await db
        .insert(eventFlows)
        .values({ id: flow.id, environment: flow.environment, owner: flow.owner, createdAt: flow.now });
    },
    async findFlow(id) {
      const [row] = await db.select().from(eventFlows).where(eq(eventFlows.id, id));
      return row;
    },
    async appendFlowLog(envelope) {
      const inserted = await db
        .insert(eventFlowLog)
        .values({ flowId: envelope.flowId, eventId: envelope.id, envelope })
        .onConflictDoNothing()
        .returning({ sequence: eventFlowLog.sequence });
      return inserted.length > 0;
    },
    readFlowLog(flowId, afterSequence, limit) {
      return db
        .select()
        .from(eventFlowLog)
        .where(and(eq(eventFlowLog.flowId, flowId), gt(eventFlowLog.sequence, afterSequence)))
        .orderBy(asc(eventFlowLog.sequence))
        .limit(limit);
    },
  };
}

export function createEventDeliveriesRepository(db: Db): EventDeliveriesRepository {
  return {
    async subscribe(groupName, eventNames) {
      if (eventNames.length === 0) return;
      await db
        .insert(eventSubscriptions)
        .values(eventNames.map((eventName) => ({ groupName, eventName })))
        .onConflictDoNothing();
    },
    async enqueueMany(envelopes, runAt) {
      if (envelopes.length === 0) return new Set();
      const result = await db.execute<{ event_name: string }>(sql`
        INSERT INTO ${eventDeliveries} (group_name, event_id, event_name, envelope, run_at)
        SELECT ${eventSubscriptions.groupName}, e.value->>'id', e.value->>'name', e.value, ${runAt.toISOString()}::timestamptz
        FROM jsonb_array_elements(${JSON.stringify(envelopes)}::jsonb) WITH ORDINALITY AS e(value, position)
        JOIN ${eventSubscriptions} ON ${eventSubscriptions.eventName} = e.value->>'name'
        ORDER BY e.position
        ON CONFLICT (group_name, event_id) DO NOTHING
        RETURNING event_name`);
      return new Set(result.rows.map((row) => row.event_name));
    },
    async enqueueForGroup(groupName, envelope, runAt) {
      await db
        .insert(eventDeliveries)
        .values({ groupName, eventId: envelope.id, eventName: envelope.name, envelope, runAt })
        .onConflictDoUpdate({
          target: [eventDeliveries.groupName, eventDeliveries.eventId],
          set: { attempts: 0, runAt, lockedBy: null, lockExpiresAt: null },
        });
    },
    claim(options) {
      if (options.eventNames.length === 0) return Promise.resolve([]);
      const due = or(
        and(sql`${eventDeliveries.lockedBy} IS NULL`, lte(eventDeliveries.runAt, options.now)),
        lt(eventDeliveries.lockExpiresAt, options.now),
      );
      const candidates = db
        .select({ id: eventDeliveries.id })
        .from(eventDeliveries)
        .where(
          and(
            eq(eventDeliveries.groupName, options.groupName),
            inArray(eventDeliveries.eventName, [...options.eventNames]),
            due,
          ),
        )
        .orderBy(asc(eventDeliveries.runAt), asc(eventDeliveries.id))
        .limit(options.limit)
        .for('update', { skipLocked: true });
      return db
        .update(eventDeliveries)
        .set({
          attempts: sql`${eventDeliveries.attempts} + 1`,
          lockedBy: options.workerId,
          lockExpiresAt: options.lockExpiresAt,
        })
        .where(inArray(eventDeliveries.id, candidates))
        .returning();
    },
    async renewLeases(workerId, ids, lockExpiresAt) {
      if (ids.length === 0) return;
      await db
        .update(eventDeliveries)
        .set({ lockExpiresAt })
        .where(and(inArray(eventDeliveries.id, [...ids]), eq(eventDeliveries.lockedBy, workerId)));
    },
    async removeMany(ids, workerId) {
      if (ids.length === 0) return;
      await db
        .delete(eventDeliveries)
        .where(and(inArray(eventDeliveries.id, [...ids]), eq(eventDeliveries.lockedBy, workerId)));
    },
    async retry(id, workerId, runAt) {
      await db
        .update(eventDeliveries)
        .set({ runAt, lockedBy: null, lockExpiresAt: null })
        .where(and(eq(eventDeliveries.id, id), eq(eventDeliveries.lockedBy, workerId)));
    },
    async nextRunAt(groupName, eventNames) {
      if (eventNames.length === 0) return undefined;
      const [row] = await db
        .select({ runAt: sql<Date | string>`min(${eventDeliveries.runAt})` })
        .from(eventDeliveries)
        .where(
          and(
            eq(eventDeliveries.groupName, groupName),
            inArray(eventDeliveries.eventName, [...eventNames]),
            sql`${eventDeliveries.lockedBy} IS NULL`,
          ),
        );
      return row?.runAt ? new Date(row.runAt) : undefined;
    },
  };
}
