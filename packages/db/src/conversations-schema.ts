import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { jsonValue } from './json-column';

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One skill call the model made while answering (a chat with apps), as stored with the answer. */
export interface StoredToolStep {
  id: string;
  app: string;
  skill: string;
  input: unknown;
  /** Null when the answer was stopped before the skill returned. */
  output: string | null;
  isError: boolean;
  durationMs: number | null;
}

/**
 * A signed-in user's chats, in the database of the user's environment. No
 * foreign key to users: users live in the prod database while these tables
 * exist in both environments' databases.
 */
export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    /** The project it is shared in; null: the user's own. No foreign key: projects live in prod. */
    projectId: text('project_id'),
    title: text('title').notNull(),
    model: text('model'),
    folder: text('folder'),
    tags: text('tags').array().$type<string[]>().notNull().default(sql`ARRAY[]::text[]`),
    pinned: boolean('pinned').notNull().default(false),
    archived: boolean('archived').notNull().default(false),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (table) => [
    index('conversations_user_updated_idx').on(table.userId, table.updatedAt),
    index('conversations_project_updated_idx').on(table.projectId, table.updatedAt),
  ],
);

export const conversationMessages = pgTable(
  'conversation_messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    role: text('role').notNull(),
    content: text('content').notNull(),
    model: text('model'),
    /** complete | partial (stopped or failed mid-way, the text so far is kept) | failed */
    status: text('status').notNull().default('complete'),
    error: text('error'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    /** Time to the first token and to the end, for the assistant's answers. */
    firstTokenMs: integer('first_token_ms'),
    durationMs: integer('duration_ms'),
    attachments: text('attachments').array().$type<string[]>().notNull().default(sql`ARRAY[]::text[]`),
    /** The skill calls behind an answer, in the order they were made (empty without apps). */
    toolSteps: jsonValue('tool_steps').$type<StoredToolStep[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
  },
  (table) => [
    index('conversation_messages_conversation_idx').on(table.conversationId, table.createdAt),
    index('conversation_messages_search_idx').using('gin', sql`to_tsvector('simple', ${table.content})`),
  ],
);

export const promptTemplates = pgTable(
  'prompt_templates',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    /** The project it is shared in; null: the user's own. */
    projectId: text('project_id'),
    name: text('name').notNull(),
    description: text('description'),
    body: text('body').notNull(),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (table) => [
    index('prompt_templates_user_idx').on(table.userId, table.updatedAt),
    index('prompt_templates_project_idx').on(table.projectId, table.updatedAt),
  ],
);

/** Read-only links to a chat; the token is the secret, revoking keeps the row so the link answers 404. */
export const conversationShares = pgTable(
  'conversation_shares',
  {
    token: text('token').primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    revokedAt: timestampColumn('revoked_at'),
  },
  (table) => [index('conversation_shares_conversation_idx').on(table.conversationId)],
);

export const uploadedFiles = pgTable(
  'uploaded_files',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    /** The project it is shared in; null: the user's own. */
    projectId: text('project_id'),
    /** The sanitized name shown to the user; never used as a storage path. */
    name: text('name').notNull(),
    /** Sniffed from the bytes, never taken from the client. */
    mimeType: text('mime_type').notNull(),
    bytes: integer('bytes').notNull(),
    objectKey: text('object_key').notNull(),
    /** pending | ready | failed */
    status: text('status').notNull().default('pending'),
    error: text('error'),
    extractedText: text('extracted_text'),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    finishedAt: timestampColumn('finished_at'),
  },
  (table) => [
    index('uploaded_files_user_idx').on(table.userId, table.createdAt),
    index('uploaded_files_project_idx').on(table.projectId, table.createdAt),
  ],
);

export type ConversationRow = typeof conversations.$inferSelect;
export type ConversationMessageRow = typeof conversationMessages.$inferSelect;
export type PromptTemplateRow = typeof promptTemplates.$inferSelect;
export type UploadedFileRow = typeof uploadedFiles.$inferSelect;
