import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  varchar,
} from 'drizzle-orm/pg-core';

/** Generated images, in the database of the environment that asked for them (seed 000). */
export const images = pgTable(
  'images',
  {
    id: text('id').primaryKey(),
    environment: varchar('environment', { length: 4 }).notNull().default('prod'),
    /** Who asked: `key:<id>` or `ip:<address>`; quotas and ownership checks use it. */
    subject: text('subject').notNull(),
    apiKeyId: text('api_key_id'),
    prompt: text('prompt').notNull(),
    negativePrompt: text('negative_prompt'),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    steps: integer('steps'),
    /** ComfyUI seeds go up to 2^64; JavaScript numbers keep 2^53 exactly, which is what our API accepts. */
    seed: bigint('seed', { mode: 'number' }),
    model: text('model').notNull(),
    /** queued | running | ready | failed */
    status: text('status').notNull(),
    jobId: text('job_id'),
    objectKey: text('object_key'),
    mimeType: text('mime_type'),
    bytes: integer('bytes'),
    error: text('error'),
    /** The chat it was made in (the chat's Images panel or the images app in a chat); null elsewhere. No foreign key: a deleted chat leaves its images. */
    conversationId: text('conversation_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [
    check('images_environment_check', sql`${table.environment} IN ('prod','dev')`),
    index('images_environment_idx').on(table.environment),
    index('images_subject_idx').on(table.subject, table.createdAt),
  ],
);

/** Daily image counts per environment and subject, with the composite primary key seed 000 specifies. */
export const imageUsage = pgTable(
  'image_usage',
  {
    environment: varchar('environment', { length: 4 }).notNull().default('prod'),
    subject: text('subject').notNull(),
    day: date('day').notNull(),
    count: integer('count').notNull().default(0),
  },
  (table) => [
    primaryKey({ name: 'image_usage_pkey', columns: [table.environment, table.subject, table.day] }),
    check('image_usage_environment_check', sql`${table.environment} IN ('prod','dev')`),
  ],
);

export type ImageRow = typeof images.$inferSelect;
export type ImageInsert = typeof images.$inferInsert;
