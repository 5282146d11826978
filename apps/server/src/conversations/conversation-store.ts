import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AddMessagesOptions,
  type ConversationMessageRow,
  type ConversationRow,
  createAssistantRepository,
  createConversationRepository,
  type Db,
  type PathMessageRow,
  type StoredChatParameters,
  type StoredToolStep,
} from '@switchyard/db';
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
  systemPrompt?: string | null;
  parameters?: StoredChatParameters;
  assistantId?: string | null;
}

export interface NewMessage {
  /** Given when the id was announced before the row exists (a streamed answer). */
  id?: string;
  /** The message it follows; undefined: the end of the branch the chat shows. */
  parentId?: string | null;
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
  toolSteps?: StoredToolStep[];
  createdAt?: Date;
}

/** A chat may only name one of its owner's own assistants. */
async function checkAssistant(owner: Owner, assistantId: string | null | undefined): Promise<void> {
  if (!assistantId) return;
  if (!(await createAssistantRepository(owner.db).findForUser(assistantId, owner.userId))) throw notFound('assistant');
}

/** Presets and PATCH leave out the parameters not given; these are the ones that stay. */
function definedParameters(parameters: StoredChatParameters): StoredChatParameters {
  return Object.fromEntries(Object.entries(parameters).filter(([, value]) => value !== undefined));
}

export async function createConversation(owner: Owner, fields: ConversationFields): Promise<ConversationRow> {
  await checkAssistant(owner, fields.assistantId);
  return createConversationRepository(owner.db).create({
    id: newConversationId(),
    userId: owner.userId,
    title: fields.title ?? 'New chat',
    model: fields.model ?? null,
    folder: fields.folder ?? null,
    tags: fields.tags ?? [],
    pinned: fields.pinned ?? false,
    archived: fields.archived ?? false,
    systemPrompt: fields.systemPrompt ?? null,
    parameters: definedParameters(fields.parameters ?? {}),
    assistantId: fields.assistantId ?? null,
  });
}

/** The chat if it belongs to the owner; another user's id is indistinguishable from a missing one. */
export async function findConversation(owner: Owner, id: string): Promise<ConversationRow | undefined> {
  return createConversationRepository(owner.db).findForUser(id, owner.userId);
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
  return createConversationRepository(owner.db).listForUser(owner.userId, filter, page);
}

/** The owner's folders (named on any chat, archived ones too) with how many chats each holds, by name. */
export async function listFolders(owner: Owner): Promise<Array<{ name: string; chats: number }>> {
  return createConversationRepository(owner.db).listFoldersForUser(owner.userId);
}

export async function updateConversation(
  owner: Owner,
  id: string,
  fields: ConversationFields,
): Promise<ConversationRow> {
  await checkAssistant(owner, fields.assistantId);
  const changes = fields.parameters ? { ...fields, parameters: definedParameters(fields.parameters) } : fields;
  const row = await createConversationRepository(owner.db).updateForUser(id, owner.userId, changes);
  if (!row) throw notFound('chat');
  return row;
}

export async function deleteConversation(owner: Owner, id: string): Promise<void> {
  if (!(await createConversationRepository(owner.db).deleteForUser(id, owner.userId))) throw notFound('chat');
}

/** The branch the chat shows (or the one ending at `leafId`), oldest first, each message with its versions. */
export async function listMessages(
  db: Db,
  conversationId: string,
  page: Page,
  leafId?: string | null,
): Promise<PathMessageRow[]> {
  return createConversationRepository(db).listMessages(conversationId, page, leafId);
}

/** A message of the owner's chat, on any branch. */
export async function requireMessage(
  owner: Owner,
  conversationId: string,
  messageId: string,
): Promise<ConversationMessageRow> {
  const row = await createConversationRepository(owner.db).findMessage(conversationId, messageId);
  if (!row || row.userId !== owner.userId) throw notFound('message');
  return row;
}

/** Shows the branch through the message (to its newest descendant). */
export async function activateBranch(owner: Owner, conversationId: string, messageId: string): Promise<void> {
  await requireConversation(owner, conversationId);
  await requireMessage(owner, conversationId, messageId);
  await createConversationRepository(owner.db).activateBranch(conversationId, messageId);
}

export async function addMessages(
  owner: Owner,
  conversationId: string,
  messages: readonly NewMessage[],
  options?: AddMessagesOptions,
): Promise<ConversationMessageRow[]> {
  if (messages.length === 0) return [];
  // Strictly increasing timestamps keep the given order, even for imported messages that share a second.
  let previous = 0;
  const times = messages.map((message) => {
    previous = Math.max((message.createdAt ?? new Date()).getTime(), previous + 1);
    return new Date(previous);
  });
  return createConversationRepository(owner.db).addMessages(
    conversationId,
    messages.map((message, index) => ({
      id: message.id ?? newMessageId(),
      // Undefined lets the repository chain the messages onto the branch shown.
      ...(message.parentId !== undefined ? { parentId: message.parentId } : {}),
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
      toolSteps: message.toolSteps ?? [],
      createdAt: times[index] ?? new Date(),
    })),
    options,
  );
}

export async function deleteMessage(owner: Owner, conversationId: string, messageId: string): Promise<void> {
  const deleted = await createConversationRepository(owner.db).deleteMessageForUser(
    messageId,
    conversationId,
    owner.userId,
  );
  if (!deleted) throw notFound('message');
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
  const rows = await createConversationRepository(owner.db).searchMessagesForUser(owner.userId, query, page);
  return rows.map(({ content, ...row }) => ({ ...row, snippet: content.slice(0, 200) }));
}

export async function createShare(owner: Owner, conversationId: string): Promise<string> {
  await requireConversation(owner, conversationId);
  const token = randomBytes(24).toString('base64url');
  await createConversationRepository(owner.db).createShare({ token, conversationId, userId: owner.userId });
  return token;
}

export async function revokeShares(owner: Owner, conversationId: string): Promise<number> {
  await requireConversation(owner, conversationId);
  return createConversationRepository(owner.db).revokeSharesForUser(conversationId, owner.userId);
}

export async function findShared(db: Db, token: string): Promise<ConversationRow | undefined> {
  return createConversationRepository(db).findShared(token);
}
