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
import { authorizeRow, createProjectRoles, creationProject, listScope } from '../projects/project-access';

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

/** What a chat is checked for: reading it, or changing it (messages, settings, share links) or deleting it. */
export type ChatAction = 'read' | 'edit' | 'delete';

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

/** A new chat: the owner's own, or shared in `projectId` (or a project key's project) when their role allows. */
export async function createConversation(
  owner: Owner,
  fields: ConversationFields & { projectId?: string | null },
): Promise<ConversationRow> {
  await checkAssistant(owner, fields.assistantId);
  const projectId = await creationProject(owner, fields.projectId);
  return createConversationRepository(owner.db).create({
    id: newConversationId(),
    userId: owner.userId,
    projectId,
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

/**
 * The chat if the owner may read it: their own, or shared in a project they are a member of. Another user's
 * id (or a project's they are not in) is indistinguishable from a missing one.
 */
export async function findConversation(owner: Owner, id: string): Promise<ConversationRow | undefined> {
  try {
    return await requireConversation(owner, id);
  } catch (error) {
    if ((error as { code?: string }).code === 'SY_ERR_NOT_FOUND') return undefined;
    throw error;
  }
}

/** The chat if the owner may do `action` to it (404 when they cannot see it, 403 when their role is short). */
export async function requireConversation(
  owner: Owner,
  id: string,
  action: ChatAction = 'read',
): Promise<ConversationRow> {
  const row = await createConversationRepository(owner.db).findById(id);
  await authorizeRow(owner, row, action, 'chat');
  return row as ConversationRow;
}

/** The owner's own chats, or a project's (`projectId`, or a project key's project). */
export async function listConversations(
  owner: Owner,
  page: Page,
  filter: { archived?: boolean; folder?: string; tag?: string; projectId?: string },
): Promise<ConversationRow[]> {
  const { projectId, ...rest } = filter;
  return createConversationRepository(owner.db).list(await listScope(owner, projectId), rest, page);
}

/** The folders (named on any chat, archived ones too) with how many chats each holds, by name. */
export async function listFolders(owner: Owner, projectId?: string): Promise<Array<{ name: string; chats: number }>> {
  return createConversationRepository(owner.db).listFolders(await listScope(owner, projectId));
}

export async function updateConversation(
  owner: Owner,
  id: string,
  fields: ConversationFields,
): Promise<ConversationRow> {
  await requireConversation(owner, id, 'edit');
  await checkAssistant(owner, fields.assistantId);
  const changes = fields.parameters ? { ...fields, parameters: definedParameters(fields.parameters) } : fields;
  const row = await createConversationRepository(owner.db).update(id, changes);
  if (!row) throw notFound('chat');
  return row;
}

export async function deleteConversation(owner: Owner, id: string): Promise<void> {
  await requireConversation(owner, id, 'delete');
  if (!(await createConversationRepository(owner.db).delete(id))) throw notFound('chat');
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

/**
 * The chat page's first reads (a chat list, a chat, its newest messages), for an account that does not
 * exist: the embedded database's first query of a table loads its catalog entries and indexes, 0.1-0.5 s
 * of the first page load after a start, which this pays before anyone asks.
 */
export async function readChatsOnce(db: Db): Promise<void> {
  const nobody: Owner = { userId: '', db, projects: createProjectRoles(db, '') };
  await listConversations(nobody, { limit: 1, offset: 0 }, { archived: false });
  await createConversationRepository(db).findById('');
  await listMessagePage(db, '', { limit: 1, offset: 0 }, true);
}

/** A page of the branch shown (`fromEnd`: counted back from the newest message) and the branch's length. */
export function listMessagePage(db: Db, conversationId: string, page: Page, fromEnd: boolean) {
  return createConversationRepository(db).listMessagePage(conversationId, page, fromEnd);
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
  await requireConversation(owner, conversationId, 'edit');
  const deleted = await createConversationRepository(owner.db).deleteMessage(messageId, conversationId);
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

/** Full-text search over the owner's own chats or a project's; `websearch_to_tsquery` accepts what people type. */
export async function searchMessages(
  owner: Owner,
  query: string,
  page: Page,
  projectId?: string,
): Promise<SearchHit[]> {
  const rows = await createConversationRepository(owner.db).searchMessages(
    await listScope(owner, projectId),
    query,
    page,
  );
  return rows.map(({ content, ...row }) => ({ ...row, snippet: content.slice(0, 200) }));
}

export async function createShare(owner: Owner, conversationId: string): Promise<string> {
  await requireConversation(owner, conversationId, 'edit');
  const token = randomBytes(24).toString('base64url');
  await createConversationRepository(owner.db).createShare({ token, conversationId, userId: owner.userId });
  return token;
}

export async function revokeShares(owner: Owner, conversationId: string): Promise<number> {
  await requireConversation(owner, conversationId, 'edit');
  return createConversationRepository(owner.db).revokeShares(conversationId);
}

export async function findShared(db: Db, token: string): Promise<ConversationRow | undefined> {
  return createConversationRepository(db).findShared(token);
}
