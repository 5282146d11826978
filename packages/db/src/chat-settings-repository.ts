import { SwitchyardError } from '@switchyard/core';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from './client';
import { type AssistantRow, assistants, type ChatPresetRow, chatPresets, conversations } from './conversations-schema';
import type { PageOptions } from './page';

export type NewChatPreset = Omit<typeof chatPresets.$inferInsert, 'createdAt' | 'updatedAt'>;
export type ChatPresetChanges = Partial<Pick<ChatPresetRow, 'name' | 'systemPrompt' | 'model' | 'parameters'>>;

export type NewAssistant = Omit<typeof assistants.$inferInsert, 'createdAt' | 'updatedAt'>;
export type AssistantChanges = Partial<
  Pick<AssistantRow, 'name' | 'description' | 'instructions' | 'model' | 'parameters' | 'apps' | 'files'>
>;

/** A user's saved presets; another user's preset reads as missing. */
export interface ChatPresetRepository {
  create(preset: NewChatPreset): Promise<ChatPresetRow>;
  findForUser(id: string, userId: string): Promise<ChatPresetRow | undefined>;
  /** By name. */
  listForUser(userId: string, page: PageOptions): Promise<ChatPresetRow[]>;
  updateForUser(id: string, userId: string, changes: ChatPresetChanges): Promise<ChatPresetRow | undefined>;
  deleteForUser(id: string, userId: string): Promise<boolean>;
}

/** A user's custom assistants; another user's assistant reads as missing. */
export interface AssistantRepository {
  create(assistant: NewAssistant): Promise<AssistantRow>;
  findForUser(id: string, userId: string): Promise<AssistantRow | undefined>;
  findManyForUser(ids: readonly string[], userId: string): Promise<AssistantRow[]>;
  /** By name. */
  listForUser(userId: string, page: PageOptions): Promise<AssistantRow[]>;
  updateForUser(id: string, userId: string, changes: AssistantChanges): Promise<AssistantRow | undefined>;
  /** The user's chats with it become plain chats. */
  deleteForUser(id: string, userId: string): Promise<boolean>;
}

export function createChatPresetRepository(db: Db): ChatPresetRepository {
  const owned = (id: string, userId: string) => and(eq(chatPresets.id, id), eq(chatPresets.userId, userId));
  return {
    async create(preset) {
      const [row] = await db.insert(chatPresets).values(preset).returning();
      if (!row) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting a preset returned no row');
      return row;
    },
    async findForUser(id, userId) {
      const [row] = await db.select().from(chatPresets).where(owned(id, userId));
      return row;
    },
    listForUser: (userId, page) =>
      db
        .select()
        .from(chatPresets)
        .where(eq(chatPresets.userId, userId))
        .orderBy(asc(chatPresets.name), asc(chatPresets.id))
        .limit(page.limit)
        .offset(page.offset),
    async updateForUser(id, userId, changes) {
      const [row] = await db
        .update(chatPresets)
        .set({ ...changes, updatedAt: new Date() })
        .where(owned(id, userId))
        .returning();
      return row;
    },
    async deleteForUser(id, userId) {
      const deleted = await db.delete(chatPresets).where(owned(id, userId)).returning({ id: chatPresets.id });
      return deleted.length > 0;
    },
  };
}

export function createAssistantRepository(db: Db): AssistantRepository {
  const owned = (id: string, userId: string) => and(eq(assistants.id, id), eq(assistants.userId, userId));
  return {
    async create(assistant) {
      const [row] = await db.insert(assistants).values(assistant).returning();
      if (!row) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting an assistant returned no row');
      return row;
    },
    async findForUser(id, userId) {
      const [row] = await db.select().from(assistants).where(owned(id, userId));
      return row;
    },
    async findManyForUser(ids, userId) {
      if (ids.length === 0) return [];
      return db
        .select()
        .from(assistants)
        .where(and(inArray(assistants.id, [...ids]), eq(assistants.userId, userId)));
    },
    listForUser: (userId, page) =>
      db
        .select()
        .from(assistants)
        .where(eq(assistants.userId, userId))
        .orderBy(asc(assistants.name), asc(assistants.id))
        .limit(page.limit)
        .offset(page.offset),
    async updateForUser(id, userId, changes) {
      const [row] = await db
        .update(assistants)
        .set({ ...changes, updatedAt: new Date() })
        .where(owned(id, userId))
        .returning();
      return row;
    },
    async deleteForUser(id, userId) {
      const deleted = await db.delete(assistants).where(owned(id, userId)).returning({ id: assistants.id });
      if (deleted.length === 0) return false;
      // Its chats go on as plain chats (with their own system prompt and parameters).
      await db
        .update(conversations)
        .set({ assistantId: null })
        .where(and(eq(conversations.userId, userId), eq(conversations.assistantId, id)));
      return true;
    },
  };
}
