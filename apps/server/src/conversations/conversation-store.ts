import { randomBytes, randomUUID } from 'node:crypto';
import {
  type ConversationMessageRow,
  type ConversationRow,
  conversationMessages,
  conversationShares,
  conversations,
  type Db,
} from '@switchyard/db';
import { and, asc, count, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { notFound, type Owner, type Page } from '../edge/owner';

export const newConversationId = () => `chat_${randomUUID().replaceAll('-', '')}`;
export const newMessageId = () => `msg_${randomUUID().replaceAll('-', '')}`;

/** Titles come from the first user message: deterministic, no extra model call. */
export function titleFrom(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return 'New chat';
  return flat.length <= 60 ? flat : `${flat.slice(0, 59).trimEnd()}…`;
}

export interface ConversationFields {
  title?: string;
  model?: string | null;
  folder?: string | null;
  tags?: string[];
  pinned?: boolean;
  archived?: boolean;
}

export interface NewMessage {
  /** Given when the id was announced before the row exists (a streamed answer). */
  id?: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  model?: string | null;
  status?: 'complete' | 'partial' | 'failed';
  error?: string | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  firstTokenMs?: number | null;
  durationMs?: number | null;
  attachments?: string[];
  createdAt?: Date;
}

export async function createConversation(owner: Owner, fields: ConversationFields): Promise<ConversationRow> {
  const [row] = await owner.db
    .insert(conversations)
    .values({
      id: newConversationId(),
      userId: owner.userId,
      title: fields.title ?? 'New chat',
      model: fields.model ?? null,
      folder: fields.folder ?? null,
      tags: fields.tags ?? [],
      pinned: fields.pinned ?? false,
      archived: fields.archived ?? false,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** The chat if it belongs to the owner; another user's id is indistinguishable from a missing one. */
export async function findConversation(owner: Owner, id: string): Promise<ConversationRow | undefined> {
  const [row] = await owner.db
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.userId, owner.userId)));
  return row;
}

export async function requireConversation(owner: Owner, id: string): Promise<ConversationRow> {
  const row = await findConversation(owner, id);
  if (!row) throw notFound('chat');
  return row;
}

export async function listConversations(
  owner: Owner,
  page: Page,
  filter: { archived?: boolean; folder?: string; tag?: string },
): Promise<ConversationRow[]> {
  const conditions = [eq(conversations.userId, owner.userId)];
  if (filter.archived !== undefined) conditions.push(eq(conversations.archived, filter.archived));
  if (filter.folder !== undefined) conditions.push(eq(conversations.folder, filter.folder));
  if (filter.tag !== undefined) conditions.push(sql`${filter.tag} = ANY(${conversations.tags})`);
  return owner.db
    .select()
    .from(conversations)
    .where(and(...conditions))
    .orderBy(desc(conversations.pinned), desc(conversations.updatedAt), desc(conversations.id))
    .limit(page.limit)
    .offset(page.offset);
}

/** The owner's folders (named on any chat, archived ones too) with how many chats each holds, by name. */
export async function listFolders(owner: Owner): Promise<Array<{ name: string; chats: number }>> {
  const rows = await owner.db
    .select({ name: conversations.folder, chats: count() })
    .from(conversations)
    .where(and(eq(conversations.userId, owner.userId), isNotNull(conversations.folder)))
    .groupBy(conversations.folder)
    .orderBy(conversations.folder);
  return rows.flatMap((row) => (row.name === null ? [] : [{ name: row.name, chats: Number(row.chats) }]));
}

export async function updateConversation(
  owner: Owner,
  id: string,
  fields: ConversationFields,
): Promise<ConversationRow> {
  const [row] = await owner.db
    .update(conversations)
    .set({ ...fields, updatedAt: new Date() })
    .where(and(eq(conversations.id, id), eq(conversations.userId, owner.userId)))
    .returning();
  if (!row) throw notFound('chat');
  return row;
}

export async function deleteConversation(owner: Owner, id: string): Promise<void> {
  const deleted = await owner.db
    .delete(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.userId, owner.userId)))
    .returning({ id: conversations.id });
  if (deleted.length === 0) throw notFound('chat');
}

export async function listMessages(db: Db, conversationId: string, page: Page): Promise<ConversationMessageRow[]> {
  return db
    .select()
    .from(conversationMessages)
    .where(eq(conversationMessages.conversationId, conversationId))
    .orderBy(asc(conversationMessages.createdAt), asc(conversationMessages.id))
    .limit(page.limit)
    .offset(page.offset);
}

export async function addMessages(
  owner: Owner,
  conversationId: string,
  messages: readonly NewMessage[],
): Promise<ConversationMessageRow[]> {
  if (messages.length === 0) return [];
  // Strictly increasing timestamps keep the given order, even for imported messages that share a second.
  let previous = 0;
  const times = messages.map((message) => {
    previous = Math.max((message.createdAt ?? new Date()).getTime(), previous + 1);
    return new Date(previous);
  });
  const rows = await owner.db
    .insert(conversationMessages)
    .values(
      messages.map((message, index) => ({
        id: message.id ?? newMessageId(),
        conversationId,
        userId: owner.userId,
        role: message.role,
        content: message.content,
        model: message.model ?? null,
        status: message.status ?? 'complete',
        error: message.error ?? null,
        promptTokens: message.promptTokens ?? null,
        completionTokens: message.completionTokens ?? null,
        firstTokenMs: message.firstTokenMs ?? null,
        durationMs: message.durationMs ?? null,
        attachments: message.attachments ?? [],
        createdAt: times[index] ?? new Date(),
      })),
    )
    .returning();
  await owner.db.update(conversations).set({ updatedAt: new Date() }).where(eq(conversations.id, conversationId));
  return rows;
}

export async function deleteMessage(owner: Owner, conversationId: string, messageId: string): Promise<void> {
  const deleted = await owner.db
    .delete(conversationMessages)
    .where(
      and(
        eq(conversationMessages.id, messageId),
        eq(conversationMessages.conversationId, conversationId),
        eq(conversationMessages.userId, owner.userId),
      ),
    )
    .returning({ id: conversationMessages.id });
  if (deleted.length === 0) throw notFound('message');
}

export interface SearchHit {
  chatId: string;
  chatTitle: string;
  messageId: string;
  role: string;
  snippet: string;
  createdAt: Date;
}

/** Full-text search over the owner's own messages; `websearch_to_tsquery` accepts what people type. */
export async function searchMessages(owner: Owner, query: string, page: Page): Promise<SearchHit[]> {
  const vector = sql`to_tsvector('simple', ${conversationMessages.content})`;
  const tsQuery = sql`websearch_to_tsquery('simple', ${query})`;
  const rows = await owner.db
    .select({
      chatId: conversations.id,
      chatTitle: conversations.title,
      messageId: conversationMessages.id,
      role: conversationMessages.role,
      content: conversationMessages.content,
      createdAt: conversationMessages.createdAt,
    })
    .from(conversationMessages)
    .innerJoin(conversations, eq(conversations.id, conversationMessages.conversationId))
    .where(and(eq(conversationMessages.userId, owner.userId), sql`${vector} @@ ${tsQuery}`))
    .orderBy(desc(sql`ts_rank(${vector}, ${tsQuery})`), desc(conversationMessages.createdAt))
    .limit(page.limit)
    .offset(page.offset);
  return rows.map(({ content, ...row }) => ({ ...row, snippet: content.slice(0, 200) }));
}

export async function createShare(owner: Owner, conversationId: string): Promise<string> {
  await requireConversation(owner, conversationId);
  const token = randomBytes(24).toString('base64url');
  await owner.db.insert(conversationShares).values({ token, conversationId, userId: owner.userId });
  return token;
}

export async function revokeShares(owner: Owner, conversationId: string): Promise<number> {
  await requireConversation(owner, conversationId);
  const revoked = await owner.db
    .update(conversationShares)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(conversationShares.conversationId, conversationId),
        eq(conversationShares.userId, owner.userId),
        isNull(conversationShares.revokedAt),
      ),
    )
    .returning({ token: conversationShares.token });
  return revoked.length;
}

export async function findShared(db: Db, token: string): Promise<ConversationRow | undefined> {
  const [row] = await db
    .select({ conversation: conversations })
    .from(conversationShares)
    .innerJoin(conversations, eq(conversations.id, conversationShares.conversationId))
    .where(and(eq(conversationShares.token, token), isNull(conversationShares.revokedAt)));
  return row?.conversation;
}
