import { sql } from 'drizzle-orm';
import {
  bigserial,
  check,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';

/** Passes values through untouched (see schema.ts: Drizzle's jsonb would parse strings twice). */
const jsonValue = customType<{ data: unknown; driverData: unknown }>({
  dataType: () => 'jsonb',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => value,
});
const moment = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** An event as the bus carries it; stored whole in the outbox, deliveries and dead letters. */
export interface StoredEventEnvelope {
  id: string;
  name: string;
  version: number;
  environment: 'prod' | 'dev';
  flowId: string | null;
  payload: unknown;
  publishedAt: string;
  /** The request and trace context it was published for (see @switchyard/events' EventTrace). */
  trace?: { requestId?: string; traceparent?: string; tracestate?: string };
}

export interface StoredEventError {
  message: string;
  code: string | null;
}

/**
 * The transactional outbox: written in the same transaction as a state change, moved to the bus
 * by the relay afterwards and deleted once the bus confirmed it.
 */
export const eventOutbox = pgTable(
  'event_outbox',
  {
    id: text('id').primaryKey(),
    envelope: jsonValue('envelope').$type<StoredEventEnvelope>().notNull(),
    createdAt: moment('created_at').notNull().defaultNow(),
  },
  (table) => [index('event_outbox_created_at_idx').on(table.createdAt)],
);

/** Idempotent consumption: an event id a consumer group handled is never handled again by it. */
export const eventConsumed = pgTable(
  'event_consumed',
  {
    groupName: text('group_name').notNull(),
    eventId: text('event_id').notNull(),
    consumedAt: moment('consumed_at').notNull(),
  },
  (table) => [
    primaryKey({ name: 'event_consumed_pkey', columns: [table.groupName, table.eventId] }),
    index('event_consumed_consumed_at_idx').on(table.consumedAt),
  ],
);

/** Events a consumer group gave up on after its last attempt; the admin API lists and replays them. */
export const eventDeadLetters = pgTable(
  'event_dead_letters',
  {
    id: text('id').primaryKey(),
    groupName: text('group_name').notNull(),
    eventId: text('event_id').notNull(),
    eventName: text('event_name').notNull(),
    environment: varchar('environment', { length: 4 }).notNull(),
    envelope: jsonValue('envelope').$type<StoredEventEnvelope>().notNull(),
    attempts: integer('attempts').notNull(),
    lastError: jsonValue('last_error').$type<StoredEventError>().notNull(),
    deadAt: moment('dead_at').notNull(),
  },
  (table) => [
    uniqueIndex('event_dead_letters_group_event_idx').on(table.groupName, table.eventId),
    index('event_dead_letters_dead_at_idx').on(table.deadAt),
    check('event_dead_letters_environment_check', sql`${table.environment} IN ('prod', 'dev')`),
  ],
);

/** Embedded backend: which consumer groups take which events (a group's queue outlives its consumers). */
export const eventSubscriptions = pgTable(
  'event_subscriptions',
  {
    groupName: text('group_name').notNull(),
    eventName: text('event_name').notNull(),
    createdAt: moment('created_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ name: 'event_subscriptions_pkey', columns: [table.groupName, table.eventName] })],
);

/**
 * Embedded backend: one row per event and consumer group, claimed with a lease like a job; a
 * failed attempt moves `run_at` on by the back-off, the last one moves it to the dead letters.
 */
export const eventDeliveries = pgTable(
  'event_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    groupName: text('group_name').notNull(),
    eventId: text('event_id').notNull(),
    eventName: text('event_name').notNull(),
    envelope: jsonValue('envelope').$type<StoredEventEnvelope>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    runAt: moment('run_at').notNull(),
    lockedBy: text('locked_by'),
    lockExpiresAt: moment('lock_expires_at'),
  },
  (table) => [
    uniqueIndex('event_deliveries_group_event_idx').on(table.groupName, table.eventId),
    index('event_deliveries_due_idx').on(table.groupName, table.eventName, table.runAt),
  ],
);

/** A flow (one user's multi-step process) and who started it: only they may follow its events. */
export const eventFlows = pgTable('event_flows', {
  id: text('id').primaryKey(),
  environment: varchar('environment', { length: 4 }).notNull(),
  /** `key:<id>` or `user:<id>`. */
  owner: text('owner').notNull(),
  createdAt: moment('created_at').notNull().defaultNow(),
});

/** Every event of a flow in arrival order; `sequence` is the SSE event id clients resume from. */
export const eventFlowLog = pgTable(
  'event_flow_log',
  {
    sequence: bigserial('sequence', { mode: 'number' }).primaryKey(),
    flowId: text('flow_id').notNull(),
    eventId: text('event_id').notNull(),
    envelope: jsonValue('envelope').$type<StoredEventEnvelope>().notNull(),
    recordedAt: moment('recorded_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('event_flow_log_flow_event_idx').on(table.flowId, table.eventId)],
);

export type EventDeadLetterRow = typeof eventDeadLetters.$inferSelect;
export type EventDeliveryRow = typeof eventDeliveries.$inferSelect;
export type EventFlowRow = typeof eventFlows.$inferSelect;
export type EventFlowLogRow = typeof eventFlowLog.$inferSelect;
