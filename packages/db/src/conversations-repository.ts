import { randomUUID } from 'node:crypto';
import { SwitchyardError } from '@switchyard/core';
import { and, asc, count, desc, eq, inArray, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import {
  type ConversationMessageRow,
  type ConversationRow,
  conversationMessages,
  conversationShares,
  conversations,
} from './conversations-schema';
import { type OwnerScope, scopeCondition } from './owner-scope';
import type { PageOptions } from './page';

export type NewConversation = Pick<
  typeof conversations.$inferInsert,
  'id' | 'userId' | 'projectId' | 'title' | 'model' | 'folder' | 'tags' | 'pinned' | 'archived'
> &
  Partial<Pick<typeof conversations.$inferInsert, 'systemPrompt' | 'parameters' | 'assistantId'>>;

/** The fields a user may change on their chat. */
export type ConversationChanges = Partial<
  Pick<
    ConversationRow,
    'title' | 'model' | 'folder' | 'tags' | 'pinned' | 'archived' | 'systemPrompt' | 'parameters' | 'assistantId'
  >
>;

/** A message on a chat's shown branch, with the versions beside it (its siblings, itself included, oldest first). */
export interface PathMessageRow extends ConversationMessageRow {
  siblingIds: string[];
}

export interface AddMessagesOptions {
  /**
   * always (default): the chat's active branch ends at the last added message. whenFollowing: only when
   * the branch ended at the message's parent, so an answer that finishes after the user moved to another
   * branch, or a second answer of a comparison, does not move the branch shown.
   */
  activate?: 'always' | 'whenFollowing';
}

export interface ConversationFilter {
  archived?: boolean;
  folder?: string;
  /** Chats carrying this tag among theirs. */
  tag?: string;
}

/**
 * A message row as the caller built it; the conversation comes from the call. parentId undefined: it
 * follows the chat's active branch (or the message before it in the same call); null: a first message.
 */
export type NewConversationMessage = Omit<typeof conversationMessages.$inferInsert, 'conversationId'>;

export interface ConversationFolder {
  name: string;
  chats: number;
}

export interface MessageSearchRow {
  chatId: string;
  chatTitle: string;
  messageId: string;
  role: string;
  content: string;
  createdAt: Date;
}

/**
 * Chats, their messages and share links, in the database of the owner's environment.
 * Every method that takes a userId touches only that user's rows: another user's id
 * reads as missing.
 */
export interface ConversationRepository {
  create(conversation: NewConversation): Promise<ConversationRow>;
  findForUser(id: string, userId: string): Promise<ConversationRow | undefined>;
  /** Pinned first, then the most recently updated. */
  listForUser(userId: string, filter: ConversationFilter, page: PageOptions): Promise<ConversationRow[]>;
  /** Folders named on any of the user's chats (archived ones too), by name, with how many chats each holds. */
  listFoldersForUser(userId: string): Promise<ConversationFolder[]>;
  /** Moves updatedAt to now; undefined when the user has no such chat. */
  updateForUser(id: string, userId: string, changes: ConversationChanges): Promise<ConversationRow | undefined>;
  /** Messages and share links go with the chat (ON DELETE CASCADE). False when the user has no such chat. */
  deleteForUser(id: string, userId: string): Promise<boolean>;
  /**
   * The branch the chat shows, oldest first: from its first message to the active leaf (or to `leafId`),
   * each message with its siblings. No ownership check: callers check the chat first (or come through a
   * share link).
   */
  listMessages(conversationId: string, page: PageOptions, leafId?: string | null): Promise<PathMessageRow[]>;
  /**
   * A page of the branch shown with the branch's length. `fromEnd`: the offset counts back from the
   * newest message (offset 0, limit 100: the newest 100); the page is oldest first either way.
   */
  listMessagePage(
    conversationId: string,
    page: PageOptions,
    fromEnd: boolean,
  ): Promise<{ messages: PathMessageRow[]; total: number }>;
  /** One message of the chat, whatever branch it is on. */
  findMessage(conversationId: string, messageId: string): Promise<ConversationMessageRow | undefined>;
  /**
   * Shows the branch through the message: the active leaf becomes its newest descendant (the newest
   * child at each step). False when the chat has no such message.
   */
  activateBranch(conversationId: string, messageId: string): Promise<boolean>;
  /** The chat's branch ends at this message (no check: callers found it in the chat). */
  setActiveLeaf(conversationId: string, messageId: string): Promise<void>;
  /** Inserts the messages in one statement, then moves the chat's updatedAt (and its active branch) to them. */
  addMessages(
    conversationId: string,
    messages: readonly NewConversationMessage[],
    options?: AddMessagesOptions,
  ): Promise<ConversationMessageRow[]>;
  /**
   * Inserts one message unless a message with its id exists already (then that one is returned), and
   * moves the chat's updatedAt: for work that may run more than once (a retried job) and must post once.
   */
  addMessageOnce(
    conversationId: string,
    message: NewConversationMessage & { id: string },
  ): Promise<ConversationMessageRow>;
  /** False when the user has no such message in that chat. The messages that follow it go too. */
  deleteMessageForUser(messageId: string, conversationId: string, userId: string): Promise<boolean>;
  /**
   * Full-text search (the 'simple' configuration, as the GIN index) over the user's own messages,
   * best match first, then newest; `websearch_to_tsquery` accepts whatever people type.
   */
  searchMessagesForUser(userId: string, query: string, page: PageOptions): Promise<MessageSearchRow[]>;
  createShare(share: { token: string; conversationId: string; userId: string }): Promise<void>;
  /** Revokes the user's live links to the chat; returns how many. */
  revokeSharesForUser(conversationId: string, userId: string): Promise<number>;
  /** The chat a live (not revoked) link points to. */
  findShared(token: string): Promise<ConversationRow | undefined>;

  // Scoped reads and unchecked writes, for chats that may be shared in a project: the caller checks access.

  /** Whoever owns it. */
  findById(id: string): Promise<ConversationRow | undefined>;
  /** Pinned first, then the most recently updated. */
  list(scope: OwnerScope, filter: ConversationFilter, page: PageOptions): Promise<ConversationRow[]>;
  /** Folders named on any chat of the scope (archived ones too), by name, with how many chats each holds. */
  listFolders(scope: OwnerScope): Promise<ConversationFolder[]>;
  /** Moves updatedAt to now; undefined when there is no such chat. */
  update(id: string, changes: ConversationChanges): Promise<ConversationRow | undefined>;
  /** Messages and share links go with the chat (ON DELETE CASCADE). */
  delete(id: string): Promise<boolean>;
  /** Every chat of a project (a deleted project's), with their messages; how many. */
  deleteForProject(projectId: string): Promise<number>;
  /** False when there is no such message in that chat. */
  deleteMessage(messageId: string, conversationId: string): Promise<boolean>;
  /** Like searchMessagesForUser, over the messages of the scope's chats. */
  searchMessages(scope: OwnerScope, query: string, page: PageOptions): Promise<MessageSearchRow[]>;
  /** Revokes every live link to the chat; returns how many. */
  revokeShares(conversationId: string): Promise<number>;
}

interface TreeNode {
  id: string;
  parentId: string | null;
}

/** The ids of a chat's messages, oldest first, with their parents: enough to walk any branch. */
async function loadTree(db: Db, conversationId: string): Promise<TreeNode[]> {
  return db
    .select({ id: conversationMessages.id, parentId: conversationMessages.parentId })
    .from(conversationMessages)
    .where(eq(conversationMessages.conversationId, conversationId))
    .orderBy(asc(conversationMessages.createdAt), asc(conversationMessages.id));
}

/** Children by parent id ('' for the first messages), each list oldest first. */
function childrenOf(tree: readonly TreeNode[]): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const node of tree) {
    const key = node.parentId ?? '';
    const list = children.get(key);
    if (list) list.push(node.id);
    else children.set(key, [node.id]);
  }
  return children;
}

async function activeLeafOf(db: Db, conversationId: string): Promise<string | null> {
  const [row] = await db
    .select({ leaf: conversations.activeLeafId })
    .from(conversations)
    .where(eq(conversations.id, conversationId));
  return row?.leaf ?? null;
}

export function createConversationRepository(db: Db): ConversationRepository {
  const ownedChat = (id: string, userId: string) => and(eq(conversations.id, id), eq(conversations.userId, userId));

  /** The message new ones follow: the active leaf when it still exists, else the newest message (one statement). */
  async function currentLeaf(conversationId: string): Promise<string | null> {
    const activeLeaf = db
      .select({ id: conversationMessages.id })
      .from(conversations)
      .innerJoin(conversationMessages, eq(conversationMessages.id, conversations.activeLeafId))
      .where(and(eq(conversations.id, conversationId), eq(conversationMessages.conversationId, conversationId)));
    const newest = db
      .select({ id: conversationMessages.id })
      .from(conversationMessages)
      .where(eq(conversationMessages.conversationId, conversationId))
      .orderBy(desc(conversationMessages.createdAt), desc(conversationMessages.id))
      .limit(1);
    const result = await db.execute<{ id: string | null }>(sql`SELECT coalesce((${activeLeaf}), (${newest})) AS id`);
    return result.rows[0]?.id ?? null;
  }

  /** A page of the branch through `leafId` (else the active leaf), with the branch's length. */
  async function pathPage(
    conversationId: string,
    page: PageOptions,
    leafId: string | null | undefined,
    fromEnd: boolean,
  ): Promise<{ messages: PathMessageRow[]; total: number }> {
    const tree = await loadTree(db, conversationId);
    if (tree.length === 0) return { messages: [], total: 0 };
    const byId = new Map(tree.map((node) => [node.id, node]));
    const requested = leafId ?? (await activeLeafOf(db, conversationId));
    let cursor = (requested && byId.get(requested)) || tree[tree.length - 1];
    const path: TreeNode[] = [];
    // Parents are always older rows of the same chat, so the walk ends; the guard is for damaged data.
    while (cursor && path.length <= tree.length) {
      path.push(cursor);
      cursor = cursor.parentId ? byId.get(cursor.parentId) : undefined;
    }
    path.reverse();
    const total = path.length;
    const start = fromEnd ? Math.max(0, total - page.offset - page.limit) : page.offset;
    const end = fromEnd ? Math.max(0, total - page.offset) : page.offset + page.limit;
    const shown = path.slice(start, end);
    if (shown.length === 0) return { messages: [], total };
    const rows = await db
      .select()
      .from(conversationMessages)
      .where(
        and(
          eq(conversationMessages.conversationId, conversationId),
          inArray(
            conversationMessages.id,
            shown.map((node) => node.id),
          ),
        ),
      );
    const rowsById = new Map(rows.map((row) => [row.id, row]));
    const children = childrenOf(tree);
    const messages = shown.flatMap((node) => {
      const row = rowsById.get(node.id);
      return row ? [{ ...row, siblingIds: children.get(node.parentId ?? '') ?? [node.id] }] : [];
    });
    return { messages, total };
  }

  return {
    async create(conversation) {
      const [row] = await db.insert(conversations).values(conversation).returning();
      if (!row) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting a conversation returned no row');
      return row;
    },

    async findForUser(id, userId) {
      const [row] = await db.select().from(conversations).where(ownedChat(id, userId));
      return row;
    },

    listForUser(userId, filter, page) {
      const conditions: SQL[] = [eq(conversations.userId, userId)];
      if (filter.archived !== undefined) conditions.push(eq(conversations.archived, filter.archived));
      if (filter.folder !== undefined) conditions.push(eq(conversations.folder, filter.folder));
      if (filter.tag !== undefined) conditions.push(sql`${filter.tag} = ANY(${conversations.tags})`);
      return db
        .select()
        .from(conversations)
        .where(and(...conditions))
        .orderBy(desc(conversations.pinned), desc(conversations.updatedAt), desc(conversations.id))
        .limit(page.limit)
        .offset(page.offset);
    },

    async listFoldersForUser(userId) {
      const rows = await db
        .select({ name: conversations.folder, chats: count() })
        .from(conversations)
        .where(and(eq(conversations.userId, userId), isNotNull(conversations.folder)))
        .groupBy(conversations.folder)
        .orderBy(conversations.folder);
      return rows.flatMap((row) => (row.name === null ? [] : [{ name: row.name, chats: Number(row.chats) }]));
    },

    async updateForUser(id, userId, changes) {
      const [row] = await db
        .update(conversations)
        .set({ ...changes, updatedAt: new Date() })
        .where(ownedChat(id, userId))
        .returning();
      return row;
    },

    async deleteForUser(id, userId) {
      const deleted = await db.delete(conversations).where(ownedChat(id, userId)).returning({ id: conversations.id });
      return deleted.length > 0;
    },

    async listMessages(conversationId, page, leafId) {
      return (await pathPage(conversationId, page, leafId, false)).messages;
    },

    listMessagePage(conversationId, page, fromEnd) {
      return pathPage(conversationId, page, null, fromEnd);
    },

    async findMessage(conversationId, messageId) {
      const [row] = await db
        .select()
        .from(conversationMessages)
        .where(and(eq(conversationMessages.id, messageId), eq(conversationMessages.conversationId, conversationId)));
      return row;
    },

    async activateBranch(conversationId, messageId) {
      const tree = await loadTree(db, conversationId);
      if (!tree.some((node) => node.id === messageId)) return false;
      const children = childrenOf(tree);
      let leaf = messageId;
      for (let steps = 0; steps < tree.length; steps++) {
        const next = children.get(leaf);
        const newest = next?.[next.length - 1];
        if (!newest) break;
        leaf = newest;
      }
      await db.update(conversations).set({ activeLeafId: leaf }).where(eq(conversations.id, conversationId));
      return true;
    },

    async setActiveLeaf(conversationId, messageId) {
      await db.update(conversations).set({ activeLeafId: messageId }).where(eq(conversations.id, conversationId));
    },

    async addMessages(conversationId, messages, options = {}) {
      if (messages.length === 0) return [];
      let previous: string | null | undefined;
      if (messages[0]?.parentId === undefined) previous = await currentLeaf(conversationId);
      const values = messages.map((message) => {
        const id = message.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
        const parentId = message.parentId === undefined ? (previous ?? null) : message.parentId;
        previous = id;
        return { ...message, id, parentId, conversationId };
      });
      const rows = await db.insert(conversationMessages).values(values).returning();
      const last = values[values.length - 1];
      const changes: Partial<ConversationRow> = { updatedAt: new Date() };
      if (last && options.activate !== 'whenFollowing') changes.activeLeafId = last.id;
      await db.update(conversations).set(changes).where(eq(conversations.id, conversationId));
      if (last && options.activate === 'whenFollowing') {
        // One statement, so two answers of a comparison finishing together cannot both take the branch.
        const following =
          last.parentId === null ? isNull(conversations.activeLeafId) : eq(conversations.activeLeafId, last.parentId);
        await db
          .update(conversations)
          .set({ activeLeafId: last.id })
          .where(and(eq(conversations.id, conversationId), following));
      }
      return rows;
    },

    async addMessageOnce(conversationId, message) {
      const parentId = message.parentId === undefined ? await currentLeaf(conversationId) : message.parentId;
      const [inserted] = await db
        .insert(conversationMessages)
        .values({ ...message, parentId, conversationId })
        .onConflictDoNothing({ target: conversationMessages.id })
        .returning();
      if (inserted) {
        await db
          .update(conversations)
          .set({ updatedAt: new Date(), activeLeafId: inserted.id })
          .where(eq(conversations.id, conversationId));
        return inserted;
      }
      const [existing] = await db.select().from(conversationMessages).where(eq(conversationMessages.id, message.id));
      if (!existing) throw new SwitchyardError('SY_ERR_INTERNAL', 'A message was neither inserted nor found');
      return existing;
    },

    async deleteMessageForUser(messageId, conversationId, userId) {
      const [target] = await db
        .select({ parentId: conversationMessages.parentId })
        .from(conversationMessages)
        .where(and(eq(conversationMessages.id, messageId), eq(conversationMessages.conversationId, conversationId)));
      const deleted = await db
        .delete(conversationMessages)
        .where(
          and(
            eq(conversationMessages.id, messageId),
            eq(conversationMessages.conversationId, conversationId),
            eq(conversationMessages.userId, userId),
          ),
        )
        .returning({ id: conversationMessages.id });
      if (deleted.length === 0) return false;
      // The messages after it went too (ON DELETE CASCADE); a branch that ended among them now ends before it.
      const leaf = await activeLeafOf(db, conversationId);
      const [leafRow] = leaf
        ? await db
            .select({ id: conversationMessages.id })
            .from(conversationMessages)
            .where(eq(conversationMessages.id, leaf))
        : [];
      if (leaf && !leafRow) {
        await db
          .update(conversations)
          .set({ activeLeafId: target?.parentId ?? null })
          .where(eq(conversations.id, conversationId));
      }
      return true;
    },

    searchMessagesForUser(userId, query, page) {
      // The same expression as conversation_messages_search_idx, so the index serves the match.
      const vector = sql`to_tsvector('simple', ${conversationMessages.content})`;
      const tsQuery = sql`websearch_to_tsquery('simple', ${query})`;
      return db
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
        .where(and(eq(conversationMessages.userId, userId), sql`${vector} @@ ${tsQuery}`))
        .orderBy(desc(sql`ts_rank(${vector}, ${tsQuery})`), desc(conversationMessages.createdAt))
        .limit(page.limit)
        .offset(page.offset);
    },

    async createShare(share) {
      await db.insert(conversationShares).values(share);
    },

    async revokeSharesForUser(conversationId, userId) {
      const revoked = await db
        .update(conversationShares)
        .set({ revokedAt: new Date() })
        .where(
          and(
            eq(conversationShares.conversationId, conversationId),
            eq(conversationShares.userId, userId),
            isNull(conversationShares.revokedAt),
          ),
        )
        .returning({ token: conversationShares.token });
      return revoked.length;
    },

    async findById(id) {
      const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
      return row;
    },

    list(scope, filter, page) {
      const conditions: SQL[] = [scopeCondition(conversations, scope)];
      if (filter.archived !== undefined) conditions.push(eq(conversations.archived, filter.archived));
      if (filter.folder !== undefined) conditions.push(eq(conversations.folder, filter.folder));
      if (filter.tag !== undefined) conditions.push(sql`${filter.tag} = ANY(${conversations.tags})`);
      return db
        .select()
        .from(conversations)
        .where(and(...conditions))
        .orderBy(desc(conversations.pinned), desc(conversations.updatedAt), desc(conversations.id))
        .limit(page.limit)
        .offset(page.offset);
    },

    async listFolders(scope) {
      const rows = await db
        .select({ name: conversations.folder, chats: count() })
        .from(conversations)
        .where(and(scopeCondition(conversations, scope), isNotNull(conversations.folder)))
        .groupBy(conversations.folder)
        .orderBy(conversations.folder);
      return rows.flatMap((row) => (row.name === null ? [] : [{ name: row.name, chats: Number(row.chats) }]));
    },

    async update(id, changes) {
      const [row] = await db
        .update(conversations)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(conversations.id, id))
        .returning();
      return row;
    },

    async delete(id) {
      const deleted = await db
        .delete(conversations)
        .where(eq(conversations.id, id))
        .returning({ id: conversations.id });
      return deleted.length > 0;
    },

    async deleteForProject(projectId) {
      const deleted = await db
        .delete(conversations)
        .where(eq(conversations.projectId, projectId))
        .returning({ id: conversations.id });
      return deleted.length;
    },

    async deleteMessage(messageId, conversationId) {
      const deleted = await db
        .delete(conversationMessages)
        .where(and(eq(conversationMessages.id, messageId), eq(conversationMessages.conversationId, conversationId)))
        .returning({ id: conversationMessages.id });
      return deleted.length > 0;
    },

    searchMessages(scope, query, page) {
      const vector = sql`to_tsvector('simple', ${conversationMessages.content})`;
      const tsQuery = sql`websearch_to_tsquery('simple', ${query})`;
      return db
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
        .where(and(scopeCondition(conversations, scope), sql`${vector} @@ ${tsQuery}`))
        .orderBy(desc(sql`ts_rank(${vector}, ${tsQuery})`), desc(conversationMessages.createdAt))
        .limit(page.limit)
        .offset(page.offset);
    },

    async revokeShares(conversationId) {
      const revoked = await db
        .update(conversationShares)
        .set({ revokedAt: new Date() })
        .where(and(eq(conversationShares.conversationId, conversationId), isNull(conversationShares.revokedAt)))
        .returning({ token: conversationShares.token });
      return revoked.length;
    },

    async findShared(token) {
      const [row] = await db
        .select({ conversation: conversations })
        .from(conversationShares)
        .innerJoin(conversations, eq(conversations.id, conversationShares.conversationId))
        .where(and(eq(conversationShares.token, token), isNull(conversationShares.revokedAt)));
      return row?.conversation;
    },
  };
}
