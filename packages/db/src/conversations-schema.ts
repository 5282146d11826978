import { sql } from 'drizzle-orm';
import { type AnyPgColumn, boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
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

/** Sampling parameters a chat, a preset or an assistant sends with each answer; absent ones are the model's defaults. */
export interface StoredChatParameters {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
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
    /**
     * The last message of the branch the chat shows (messages form a tree through parentId). No foreign
     * key (the two tables would reference each other); a leaf that no longer exists reads as the newest message.
     */
    activeLeafId: text('active_leaf_id'),
    /** Sent before the conversation on every answer (after the assistant's instructions, when one is chosen). */
    systemPrompt: text('system_prompt'),
    parameters: jsonValue('parameters').$type<StoredChatParameters>().notNull().default(sql`'{}'::jsonb`),
    /** The custom assistant the chat talks to (its instructions, model, apps and files). */
    assistantId: text('assistant_id'),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  // The sidebar's list: one owner (user or project), archived or not, pinned first, newest first. With the
  // ORDER BY's columns in the index a page is read in order instead of sorting every chat of the owner.
  (table) => [
    index('conversations_user_list_idx').on(table.userId, table.archived, table.pinned, table.updatedAt, table.id),
    index('conversations_project_list_idx').on(
      table.projectId,
      table.archived,
      table.pinned,
      table.updatedAt,
      table.id,
    ),
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
    /**
     * The message this one follows: regenerating an answer or editing a question adds a sibling (same
     * parent) instead of replacing, so every version is kept. Null for the first message(s) of a chat.
     * Deleting a message deletes the messages that follow it.
     */
    parentId: text('parent_id').references((): AnyPgColumn => conversationMessages.id, { onDelete: 'cascade' }),
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
    index('conversation_messages_parent_idx').on(table.parentId),
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

/** A user's saved chat settings: a system prompt, a model and sampling parameters, applied to a chat in one go. */
export const chatPresets = pgTable(
  'chat_presets',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    systemPrompt: text('system_prompt'),
    model: text('model'),
    parameters: jsonValue('parameters').$type<StoredChatParameters>().notNull().default(sql`'{}'::jsonb`),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (table) => [index('chat_presets_user_idx').on(table.userId, table.name)],
);

/**
 * A custom assistant: instructions, a model, parameters, and the apps and files a chat with it
 * starts with. Owned by a user; projectId is for sharing within a project once projects exist.
 */
export const assistants = pgTable(
  'assistants',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    projectId: text('project_id'),
    name: text('name').notNull(),
    description: text('description'),
    instructions: text('instructions').notNull(),
    model: text('model'),
    parameters: jsonValue('parameters').$type<StoredChatParameters>().notNull().default(sql`'{}'::jsonb`),
    apps: text('apps').array().$type<string[]>().notNull().default(sql`ARRAY[]::text[]`),
    files: text('files').array().$type<string[]>().notNull().default(sql`ARRAY[]::text[]`),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (table) => [
    index('assistants_user_idx').on(table.userId, table.name),
    index('assistants_project_idx').on(table.projectId),
  ],
);

export type ChatPresetRow = typeof chatPresets.$inferSelect;
export type AssistantRow = typeof assistants.$inferSelect;
export type ConversationRow = typeof conversations.$inferSelect;
export type ConversationMessageRow = typeof conversationMessages.$inferSelect;
export type PromptTemplateRow = typeof promptTemplates.$inferSelect;
export type UploadedFileRow = typeof uploadedFiles.$inferSelect;
