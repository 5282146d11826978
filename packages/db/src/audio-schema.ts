import { sql } from 'drizzle-orm';
import { check, date, doublePrecision, pgTable, primaryKey, text, varchar } from 'drizzle-orm/pg-core';

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
