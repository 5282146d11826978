import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { jsonValue } from './json-column';

/**
 * Responses made by POST /v1/responses with `store` (the default), in the database of the caller's
 * environment: GET /v1/responses/{id} reads them back, and `previous_response_id` continues their
 * conversation. Kept until `expires_at` (the retention), then purged.
 */
export const storedResponses = pgTable(
  'stored_responses',
  {
    id: text('id').primaryKey(),
    /** Who may read and continue it: `user:<id>` for a user's keys and session, else `key:<id>` or `ip:<address>`. */
    owner: text('owner').notNull(),
    model: text('model').notNull(),
    /** The whole conversation up to and including this response, as internal chat messages. */
    conversation: jsonValue('conversation').notNull(),
    /** The response object as the client received it. */
    response: jsonValue('response').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    index('stored_responses_owner_idx').on(table.owner),
    index('stored_responses_expires_at_idx').on(table.expiresAt),
  ],
);

export type StoredResponseRow = typeof storedResponses.$inferSelect;
