import {
  ActivateBranchRequest,
  AddMessageRequest,
  ChatList,
  ChatListQuery,
  ChatSearchQuery,
  ChatSummary,
  ConversationMessage,
  CreateChatRequest,
  ExportQuery,
  FolderList,
  IdParams,
  ImportChatsRequest,
  MessageList,
  MessagePage,
  MessagePageQuery,
  MessageParams,
  messagePage,
  ProjectQuery,
  RevokedShares,
  SearchResults,
  SharedChat,
  ShareLink,
  ShareParams,
  UpdateChatRequest,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { ConversationRow, PathMessageRow } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { notFound, ownerOf, sessionOnly } from '../edge/owner';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import type { Databases } from '../infrastructure/databases';
import { chatToMarkdown, exportChat, parseImport } from './chat-transfer';
import {
  activateBranch,
  addMessages,
  createConversation,
  createShare,
  deleteConversation,
  deleteMessage,
  findShared,
  listConversations,
  listFolders,
  listMessagePage,
  listMessages,
  requireConversation,
  revokeShares,
  searchMessages,
  updateConversation,
} from './conversation-store';

const tags = ['Conversations'];
const maximumImportedChats = 200;

function publicChat(chat: ConversationRow) {
  const { userId, ...rest } = chat;
  return { ...rest, createdBy: userId };
}

function publicMessage(message: PathMessageRow) {
  const { userId: _owner, ...rest } = message;
  return {
    ...rest,
    siblingIndex: Math.max(0, message.siblingIds.indexOf(message.id)),
    siblingCount: message.siblingIds.length,
  };
}

/** A signed-in user's chats and messages, search, export/import and share links. */
export function registerConversationRoutes(app: FastifyInstance, databases: Databases): void {
  const config = { behaviour: sessionOnly };

  app.post<{ Body: CreateChatRequest }>(
    '/api/chats',
    { config, schema: { tags, summary: 'Create a chat', body: CreateChatRequest, response: { 201: ChatSummary } } },
    async (request, reply) => {
      const chat = await createConversation(ownerOf(databases, request), request.body);
      return reply.code(201).send(publicChat(chat));
    },
  );

  app.get<{ Querystring: ChatListQuery }>(
    '/api/chats',
    {
      config,
      schema: {
        tags,
        summary: "Your chats (or a project's: ?project=<id>), pinned first, then most recently updated",
        querystring: ChatListQuery,
        response: { 200: ChatList },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const { archived, folder, tag, project } = request.query;
      const chats = await listConversations(ownerOf(databases, request), page, {
        ...(project ? { projectId: project } : {}),
        ...(archived ? { archived: archived === 'true' } : {}),
        ...(folder !== undefined ? { folder } : {}),
        ...(tag !== undefined ? { tag } : {}),
      });
      return { chats: chats.map(publicChat), limit: page.limit, offset: page.offset };
    },
  );

  app.get<{ Querystring: Static<typeof ProjectQuery> }>(
    '/api/chats/folders',
    {
      config,
      schema: {
        tags,
        summary: "Your folders (or a project's), each with how many chats it holds (archived ones included), by name",
        querystring: ProjectQuery,
        response: { 200: FolderList },
      },
    },
    async (request) => ({ folders: await listFolders(ownerOf(databases, request), request.query.project) }),
  );

  app.get<{ Querystring: Static<typeof ChatSearchQuery> }>(
    '/api/chats/search',
    {
      config,
      schema: {
        tags,
        summary: 'Full-text search over your own messages (web-search syntax: "quoted phrase", -word, or)',
        querystring: ChatSearchQuery,
        response: { 200: SearchResults },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const { q, project } = request.query;
      return { results: await searchMessages(ownerOf(databases, request), q, page, project), ...page };
    },
  );

  app.post(
    '/api/chats/import',
    {
      config,
      schema: {
        tags,
        summary: "Import chats: Switchyard's export or ChatGPT's conversations.json",
        body: ImportChatsRequest,
      },
    },
    async (request, reply) => {
      const owner = ownerOf(databases, request);
      const imported = parseImport(request.body, maximumImportedChats);
      const created: string[] = [];
      for (const chat of imported) {
        const row = await createConversation(owner, {
          title: chat.title,
          model: chat.model,
          folder: chat.folder,
          tags: chat.tags,
        });
        await addMessages(owner, row.id, chat.messages);
        created.push(row.id);
      }
      return reply.code(201).send({ imported: created.length, chatIds: created });
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/chats/:id',
    { config, schema: { tags, summary: 'One of your chats', params: IdParams, response: { 200: ChatSummary } } },
    async (request) => publicChat(await requireConversation(ownerOf(databases, request), request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: UpdateChatRequest }>(
    '/api/chats/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Rename, move, tag, pin or archive a chat',
        params: IdParams,
        body: UpdateChatRequest,
        response: { 200: ChatSummary },
      },
    },
    async (request) =>
      publicChat(await updateConversation(ownerOf(databases, request), request.params.id, request.body)),
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/chats/:id',
    { config, schema: { tags, summary: 'Delete a chat with its messages and share links', params: IdParams } },
    async (request, reply) => {
      await deleteConversation(ownerOf(databases, request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof MessagePageQuery> }>(
    '/api/chats/:id/messages',
    {
      config,
      schema: {
        tags,
        summary:
          'The branch of the chat shown (from its first message to the active leaf), oldest first; each message ' +
          'with its versions (siblingIds, siblingIndex, siblingCount). ?from=end pages back from the newest ' +
          'message; total is the branch length',
        params: IdParams,
        querystring: MessagePageQuery,
        response: { 200: MessagePage },
      },
    },
    async (request) => {
      const owner = ownerOf(databases, request);
      // The chat must be the caller's (or readable in its project) before any message is read.
      const chat = await requireConversation(owner, request.params.id);
      const page = pageOf(request.query, messagePage);
      const from = request.query.from ?? 'start';
      const { messages, total } = await listMessagePage(owner.db, chat.id, page, from === 'end');
      return { messages: messages.map(publicMessage), ...page, total, from };
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: AddMessageRequest }>(
    '/api/chats/:id/messages',
    {
      config,
      schema: {
        tags,
        summary: 'Add a message without calling a model (at the end of the branch shown)',
        params: IdParams,
        body: AddMessageRequest,
        response: { 201: ConversationMessage },
      },
    },
    async (request, reply) => {
      const owner = ownerOf(databases, request);
      const chat = await requireConversation(owner, request.params.id, 'edit');
      const [message] = await addMessages(owner, chat.id, [request.body]);
      // The message with its versions: the end of the branch through it.
      const path = message ? await listMessages(owner.db, chat.id, { limit: 100_000, offset: 0 }, message.id) : [];
      const shown = path.at(-1);
      if (!shown) throw new SwitchyardError('SY_ERR_INTERNAL', 'The message was not stored');
      return reply.code(201).send(publicMessage(shown));
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: ActivateBranchRequest }>(
    '/api/chats/:id/branch',
    {
      config,
      schema: {
        tags,
        summary:
          'Show another version: the chat shows the branch through the message, to its newest descendant; ' +
          'answers with that branch',
        params: IdParams,
        body: ActivateBranchRequest,
        response: { 200: MessageList },
      },
    },
    async (request) => {
      const owner = ownerOf(databases, request);
      await activateBranch(owner, request.params.id, request.body.messageId);
      const page = pageOf({ limit: String(messagePage.maximum) }, messagePage);
      return { messages: (await listMessages(owner.db, request.params.id, page)).map(publicMessage), ...page };
    },
  );

  app.delete<{ Params: Static<typeof MessageParams> }>(
    '/api/chats/:id/messages/:messageId',
    {
      config,
      schema: {
        tags,
        summary: 'Delete one message',
        params: MessageParams,
      },
    },
    async (request, reply) => {
      await deleteMessage(ownerOf(databases, request), request.params.id, request.params.messageId);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof ExportQuery> }>(
    '/api/chats/:id/export',
    {
      config,
      schema: {
        tags,
        summary: 'Export a chat as JSON (re-importable) or Markdown',
        params: IdParams,
        querystring: ExportQuery,
      },
    },
    async (request, reply) => {
      const owner = ownerOf(databases, request);
      const chat = await requireConversation(owner, request.params.id);
      const exported = exportChat(chat, await listMessages(owner.db, chat.id, { limit: 100_000, offset: 0 }));
      if (request.query.format === 'markdown') {
        reply.header('content-type', 'text/markdown; charset=utf-8');
        reply.header('content-disposition', `attachment; filename="${chat.id}.md"`);
        return chatToMarkdown(exported);
      }
      reply.header('content-disposition', `attachment; filename="${chat.id}.json"`);
      return { version: 1, chats: [exported] };
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/chats/:id/share',
    {
      config,
      schema: { tags, summary: 'Create a read-only share link', params: IdParams, response: { 201: ShareLink } },
    },
    async (request, reply) => {
      const token = await createShare(ownerOf(databases, request), request.params.id);
      // `path` is the JSON API; `url` is the page in the web app that shows it.
      return reply.code(201).send({ token, path: `/api/share/${token}`, url: `/share/${token}` });
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/chats/:id/share',
    {
      config,
      schema: {
        tags,
        summary: 'Revoke every share link of a chat',
        params: IdParams,
        response: { 200: RevokedShares },
      },
    },
    async (request) => ({ revoked: await revokeShares(ownerOf(databases, request), request.params.id) }),
  );

  const publicBehaviour: RouteBehaviour = { auth: 'none', usage: false };
  app.get<{ Params: Static<typeof ShareParams> }>(
    '/api/share/:token',
    {
      config: { behaviour: publicBehaviour },
      schema: {
        tags,
        summary: 'A shared chat, read-only, for anyone with the link',
        params: ShareParams,
        response: { 200: SharedChat },
      },
    },
    async (request, reply) => {
      // Shares are made by signed-in users, whose data is in prod.
      const db = databases.prod.db;
      const chat = await findShared(db, request.params.token);
      if (!chat) throw notFound('share link');
      reply.header('cache-control', 'no-store');
      reply.header('x-robots-tag', 'noindex');
      const messages = await listMessages(db, chat.id, { limit: 100_000, offset: 0 });
      const { title, model, createdAt } = chat;
      return {
        title,
        model,
        createdAt,
        messages: messages.map(({ role, content, createdAt: at }) => ({ role, content, createdAt: at })),
      };
    },
  );
}
