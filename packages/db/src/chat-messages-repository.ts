import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { type ChatMessageInsert, type ChatMessageRecord, chatMessages } from './schema';

export interface ChatMessageRepository {
  /** One multi-row INSERT; rows keep their order within a conversation. */
  insertMany(rows: readonly ChatMessageInsert[]): Promise<void>;
  /** Like insertMany, but a row whose id exists is replaced: retried jobs write the same ids. */
  upsertMany(rows: readonly ChatMessageInsert[]): Promise<void>;
  /** Oldest first, in the order the messages were written. */
  listByConversation(conversationId: string): Promise<ChatMessageRecord[]>;
}

export function createChatMessageRepository(db: Db): ChatMessageRepository {
  return {
    async insertMany(rows) {
      if (rows.length === 0) return;
      await db.insert(chatMessages).values([...rows]);
    },

    async upsertMany(rows) {
      if (rows.length === 0) return;
      await db
        .insert(chatMessages)
        .values([...rows])
        .onConflictDoUpdate({
          target: chatMessages.id,
          set: {
            content: sql`excluded.content`,
            model: sql`excluded.model`,
            promptTokens: sql`excluded.prompt_tokens`,
            completionTokens: sql`excluded.completion_tokens`,
          },
        });
    },

    listByConversation: (conversationId) =>
      db
        .select()
        .from(chatMessages)
        .where(eq(chatMessages.conversationId, conversationId))
        .orderBy(asc(chatMessages.createdAt), asc(chatMessages.sequence)),
  };
}
