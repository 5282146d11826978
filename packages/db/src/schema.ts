import { randomUUID } from 'node:crypto';
import { environments } from '@switchyard/core';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  varchar,
} from 'drizzle-orm/pg-core';

/**
 * Both drivers already parse jsonb into JavaScript values. Drizzle's own jsonb
 * column parses strings a second time, which turns a stored string such as
 * "123" into the number 123, so values pass through untouched here.
 */
const jsonValue = customType<{ data: unknown; driverData: unknown }>({
  dataType: () => 'jsonb',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => value,
});

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
    createdAt: createdAtColumn(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [check('api_keys_environment_check', sql`${table.environment} IN ('prod', 'dev')`)],
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
    createdAt: createdAtColumn(),
  },
  (table) => [
    check('api_key_usage_log_environment_check', sql`${table.environment} IN ('prod', 'dev')`),
    index('api_key_usage_log_environment_idx').on(table.environment),
    index('api_key_usage_log_created_at_idx').on(table.createdAt),
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

export type ApiKeyRecord = typeof apiKeys.$inferSelect;
export type SettingRecord = typeof settings.$inferSelect;
export type UsageLogRecord = typeof apiKeyUsageLog.$inferSelect;
export type UsageLogInsert = Omit<typeof apiKeyUsageLog.$inferInsert, 'id'>;
export type ChatMessageRecord = typeof chatMessages.$inferSelect;
export type ChatMessageInsert = Omit<typeof chatMessages.$inferInsert, 'sequence'>;
