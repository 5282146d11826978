import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  doublePrecision,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  varchar,
} from 'drizzle-orm/pg-core';

/** Seconds of audio transcribed per caller and UTC day: the counter behind `audio.max_minutes_per_day.<env>`. */
export const audioUsage = pgTable(
  'audio_usage',
  {
    environment: varchar('environment', { length: 4 }).notNull().default('prod'),
    subject: text('subject').notNull(),
    day: date('day').notNull(),
    seconds: doublePrecision('seconds').notNull().default(0),
  },
  (table) => [
    primaryKey({ name: 'audio_usage_pkey', columns: [table.environment, table.subject, table.day] }),
    check('audio_usage_environment_check', sql`${table.environment} IN ('prod','dev')`),
  ],
);

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A recording stored for an async transcription (`audio.transcribe`), in the database of the caller's
 * environment; the row is how its owner finds and deletes it and how the retention purge finds it.
 * The id is the job's id.
 */
export const audioRecordings = pgTable(
  'audio_recordings',
  {
    id: text('id').primaryKey(),
    environment: varchar('environment', { length: 4 }).notNull().default('prod'),
    /** `key:<id>`, `user:<id>` or `ip:<address>`: who may see and delete it. */
    subject: text('subject').notNull(),
    /** The signed-in user (or key owner) it was recorded for, when there is one. */
    userId: text('user_id'),
    /** The chat the transcript is posted to as a message when the job finishes. */
    conversationId: text('conversation_id'),
    /** The uploaded file whose text the transcript becomes (an audio attachment). */
    fileId: text('file_id'),
    objectKey: text('object_key').notNull(),
    transcriptKey: text('transcript_key'),
    mimeType: text('mime_type').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    /** queued | completed | failed */
    status: text('status').notNull().default('queued'),
    /** The message the transcript became (its id is derived from the job's, so a retried job posts once). */
    messageId: text('message_id'),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    finishedAt: timestampColumn('finished_at'),
  },
  (table) => [
    index('audio_recordings_subject_idx').on(table.subject, table.createdAt),
    index('audio_recordings_finished_idx').on(table.finishedAt),
    check('audio_recordings_environment_check', sql`${table.environment} IN ('prod','dev')`),
  ],
);

export type AudioRecordingRow = typeof audioRecordings.$inferSelect;
export type NewAudioRecording = typeof audioRecordings.$inferInsert;
