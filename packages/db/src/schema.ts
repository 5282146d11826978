import { randomUUID } from 'node:crypto';
import { environments, type KeyScope } from '@switchyard/core';
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
  varchar,
} from 'drizzle-orm/pg-core';
import { users } from './accounts-schema';
import { jsonValue } from './json-column';

export * from './accounts-schema';
export * from './apps-schema';
export * from './audio-schema';
export * from './conversations-schema';
export * from './events-schema';
export * from './gift-finder-schema';
export * from './images-schema';
export * from './notifications-schema';
export * from './plans-schema';
export * from './projects-schema';
export * from './responses-schema';
export * from './schedules-schema';
export * from './searches-schema';
export * from './skill-calls-schema';
export * from './whatsapp-schema';

const environmentColumn = () => varchar('environment', { length: 4, enum: environments });
const createdAtColumn = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

/** Control plane: only the prod database's table is used. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull().unique('api_keys_key_hash_unique'),
    keyPrefix: text('key_prefix').notNull(),
    environment: environmentColumn().notNull().default('prod'),
    isAdmin: boolean('is_admin').notNull().default(false),
    /** The user who created it through /api/keys; null for keys made by an admin or the CLI. */
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /**
     * The project the key acts within (a member's key made there); null: the user's own. Deleting the
     * project revokes its keys (the service does), so no cascade here.
     */
    projectId: text('project_id'),
    scopes: text('scopes')
      .array()
      .$type<KeyScope[]>()
      .notNull()
      // The column default as migrated; the key service always writes the scopes (defaultKeyScopes).
      .default(sql.raw(`ARRAY['chat', 'images', 'messages']::text[]`)),
    createdAt: createdAtColumn(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    check('api_keys_environment_check', sql`${table.environment} IN ('prod', 'dev')`),
    index('api_keys_user_id_idx').on(table.userId),
    index('api_keys_project_id_idx').on(table.projectId),
  ],
);

/** Control plane: only the prod database's table is used. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonValue('value').notNull(),
  type: text('type').notNull(),
  description: text('description').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * Rows live in the database of the key's environment while keys live in prod,
 * so `api_key_id` cannot be a foreign key.
 */
export const apiKeyUsageLog = pgTable(
  'api_key_usage_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    environment: environmentColumn().notNull(),
    apiKeyId: text('api_key_id'),
    clientIp: text('client_ip'),
    method: text('method').notNull(),
    route: text('route').notNull(),
    model: text('model'),
    status: integer('status').notNull(),
    latencyMs: doublePrecision('latency_ms').notNull(),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    /** Seconds of audio a transcription or translation request sent (null for other requests). */
    audioSeconds: doublePrecision('audio_seconds'),
    /** The signed-in user, or the owner of the key (keys live in prod, so no foreign key). */
    userId: text('user_id'),
    /** The project the request was made within (a project key, or a project chat), when its plan's budget counted it. */
    projectId: text('project_id'),
    /**
     * The caller of a call made outside an HTTP request, as its budget counts it (`whatsapp:+<number>`);
     * null for HTTP requests, whose key, user, project or client IP names them.
     */
    subject: text('subject'),
    /** US dollars by the price table in force when the row was written; 0 for a model without a price. */
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    createdAt: createdAtColumn(),
  },
  (table) => [
    check('api_key_usage_log_environment_check', sql`${table.environment} IN ('prod', 'dev')`),
    index('api_key_usage_log_environment_idx').on(table.environment),
    index('api_key_usage_log_created_at_idx').on(table.createdAt),
    // A period's spend per key, user, project or other subject (plans' budgets, the usage routes) is read
    // with `column = value`, never for NULL: rows without the column (most have no project and no
    // subject) stay out of its index, so an insert writes only the index entries a query can use.
    index('api_key_usage_log_user_id_idx').on(table.userId, table.createdAt).where(sql`${table.userId} IS NOT NULL`),
    index('api_key_usage_log_api_key_id_idx')
      .on(table.apiKeyId, table.createdAt)
      .where(sql`${table.apiKeyId} IS NOT NULL`),
    index('api_key_usage_log_project_id_idx')
      .on(table.projectId, table.createdAt)
      .where(sql`${table.projectId} IS NOT NULL`),
    index('api_key_usage_log_subject_idx').on(table.subject, table.createdAt).where(sql`${table.subject} IS NOT NULL`),
  ],
);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    environment: environmentColumn().notNull(),
    apiKeyId: text('api_key_id'),
    conversationId: text('conversation_id'),
    role: text('role').notNull(),
    content: text('content').notNull(),
    model: text('model'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    createdAt: createdAtColumn(),
    // Messages written in one statement share created_at; insertion order breaks the tie.
    sequence: bigint('sequence', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
  },
  (table) => [
    check('chat_messages_environment_check', sql`${table.environment} IN ('prod', 'dev')`),
    index('chat_messages_environment_idx').on(table.environment),
    index('chat_messages_conversation_id_idx').on(table.conversationId, table.createdAt, table.sequence),
  ],
);

export const jobStatuses = ['waiting', 'delayed', 'active', 'completed', 'dead'] as const;
export type JobStatusColumn = (typeof jobStatuses)[number];

/** What a failed attempt left behind: shown in the dead-letter list and the admin API. */
export interface StoredJobError {
  message: string;
  code: string | null;
}

/**
 * The embedded job queue. A row is claimed by setting `locked_by` and a lease
 * (`lock_expires_at`) that the worker keeps renewing; a row whose lease ran out
 * belongs to a crashed process and is claimed again.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    name: text('name').notNull(),
    environment: environmentColumn().notNull(),
    payload: jsonValue('payload').notNull(),
    /** The enqueuing request's id and W3C trace context, for job logs and traces. */
    trace: jsonValue('trace').$type<{ requestId?: string; traceparent?: string; tracestate?: string } | null>(),
    status: text('status', { enum: jobStatuses }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    runAt: timestamp('run_at', { withTimezone: true, mode: 'date' }).notNull(),
    lockedBy: text('locked_by'),
    lockExpiresAt: timestamp('lock_expires_at', { withTimezone: true, mode: 'date' }),
    lastError: jsonValue('last_error').$type<StoredJobError | null>(),
    result: jsonValue('result'),
    progress: jsonValue('progress'),
    createdAt: createdAtColumn(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    check('jobs_environment_check', sql`${table.environment} IN ('prod', 'dev')`),
    check('jobs_status_check', sql`${table.status} IN ('waiting', 'delayed', 'active', 'completed', 'dead')`),
    index('jobs_status_run_at_idx').on(table.status, table.runAt),
    index('jobs_name_idx').on(table.name),
  ],
);

/** Last sign of life of every embedded job worker, for the admin API and /ready. */
export const jobWorkers = pgTable('job_workers', {
  workerId: text('worker_id').primaryKey(),
  names: jsonValue('names').$type<string[]>().notNull(),
  active: integer('active').notNull().default(0),
  startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export const idempotencyStatuses = ['in_progress', 'done'] as const;

/**
 * `Idempotency-Key` bookkeeping for POSTs that create work. `scope` keeps two
 * callers' keys apart (the API key id, or the client IP for anonymous callers).
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: text('status', { enum: idempotencyStatuses }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonValue('response_body'),
    responseHeaders: jsonValue('response_headers').$type<Record<string, string> | null>(),
    createdAt: createdAtColumn(),
    /** An in-progress entry whose owner died is taken over after this time. */
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [table.scope, table.key] }),
    check('idempotency_keys_status_check', sql`${table.status} IN ('in_progress', 'done')`),
    index('idempotency_keys_expires_at_idx').on(table.expiresAt),
  ],
);

export type ApiKeyRecord = typeof apiKeys.$inferSelect;
export type SettingRecord = typeof settings.$inferSelect;
export type UsageLogRecord = typeof apiKeyUsageLog.$inferSelect;
export type UsageLogInsert = Omit<typeof apiKeyUsageLog.$inferInsert, 'id'>;
export type ChatMessageRecord = typeof chatMessages.$inferSelect;
export type ChatMessageInsert = Omit<typeof chatMessages.$inferInsert, 'sequence'>;
export type JobRow = typeof jobs.$inferSelect;
export type JobWorkerRow = typeof jobWorkers.$inferSelect;
export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
