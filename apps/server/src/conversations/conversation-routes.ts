import type { ConversationMessageRow, ConversationRow } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { notFound, ownerOf, sessionOnly } from '../edge/owner';
import { pageOf, pageQuery } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import type { Databases } from '../infrastructure/databases';
import { chatToMarkdown, exportChat, parseImport } from './chat-transfer';
import {
  addMessages,
  createConversation,
  createShare,
  deleteConversation,
  deleteMessage,
  findShared,
  listConversations,
  listFolders,
  listMessages,
  requireConversation,
  revokeShares,
  searchMessages,
  updateConversation,
} from './conversation-store';

// additionalProperties: false everywhere: userId, role or environment in a body is a 400, never stored.
const ChatFields = {
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  model: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
  folder: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 })),
  pinned: Type.Optional(Type.Boolean()),
  archived: Type.Optional(Type.Boolean()),
};
const CreateChat = Type.Object(ChatFields, { additionalProperties: false });
const UpdateChat = Type.Object(ChatFields, { additionalProperties: false, minProperties: 1 });
const AddMessage = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
    content: Type.String({ minLength: 1, maxLength: 200_000 }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const PageQuery = pageQuery();
/** A chat's messages come in longer pages. */
const messagePage = { defaultLimit: 50, maximum: 500 };
const ListQuery = Type.Object({
  ...PageQuery,
  archived: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  folder: Type.Optional(Type.String({ maxLength: 200 })),
  tag: Type.Optional(Type.String({ maxLength: 50 })),
});
const tags = ['Conversations'];
const maximumImportedChats = 200;

function publicChat(chat: ConversationRow) {
  const { userId: _owner, ...rest } = chat;
  return rest;
}

function publicMessage(message: ConversationMessageRow) {
  const { userId: _owner, ...rest } = message;
  return rest;
}

/** A signed-in user's chats and messages, search, export/import and share links. */
export function registerConversationRoutes(app: FastifyInstance, databases: Databases): void {
  const config = { behaviour: sessionOnly };

  app.post<{ Body: Static<typeof CreateChat> }>(
    '/api/chats',
    { config, schema: { tags, summary: 'Create a chat', body: CreateChat } },
    async (request, reply) => {
      const chat = await createConversation(ownerOf(databases, request), request.body);
      return reply.code(201).send(publicChat(chat));
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/chats',
    {
      config,
      schema: { tags, summary: 'Your chats, pinned first, then most recently updated', querystring: ListQuery },
    },
    async (request) => {
      const page = pageOf(request.query);
      const { archived, folder, tag } = request.query;
      const chats = await listConversations(ownerOf(databases, request), page, {
        ...(archived ? { archived: archived === 'true' } : {}),
        ...(folder !== undefined ? { folder } : {}),
        ...(tag !== undefined ? { tag } : {}),
      });
      return { chats: chats.map(publicChat), limit: page.limit, offset: page.offset };
    },
  );

  app.get(
    '/api/chats/folders',
    {
      config,
      schema: {
        tags,
        summary: 'Your folders, each with how many chats it holds (archived ones included), by name',
        response: {
          200: Type.Object({ folders: Type.Array(Type.Object({ name: Type.String(), chats: Type.Integer() })) }),
        },
      },
    },
    async (request) => ({ folders: await listFolders(ownerOf(databases, request)) }),
  );

  app.get<{ Querystring: { q: string; limit?: string; offset?: string } }>(
    '/api/chats/search',
    {
      config,
      schema: {
        tags,
        summary: 'Full-text search over your own messages (web-search syntax: "quoted phrase", -word, or)',
        querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 500 }), ...PageQuery }),
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      return { results: await searchMessages(ownerOf(databases, request), request.query.q, page), ...page };
    },
  );

  app.post(
    '/api/chats/import',
    {
      config,
      schema: {
        tags,
        summary: "Import chats: Switchyard's export or ChatGPT's conversations.json",
        body: Type.Union([Type.Object({}), Type.Array(Type.Unknown())]),
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
    { config, schema: { tags, summary: 'One of your chats', params: IdParams } },
    async (request) => publicChat(await requireConversation(ownerOf(databases, request), request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateChat> }>(
    '/api/chats/:id',
    {
      config,
      schema: { tags, summary: 'Rename, move, tag, pin or archive a chat', params: IdParams, body: UpdateChat },
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

  app.get<{ Params: Static<typeof IdParams>; Querystring: { limit?: string; offset?: string } }>(
    '/api/chats/:id/messages',
    {
      config,
      schema: {
        tags,
        summary: 'Messages of a chat, oldest first',
        params: IdParams,
        querystring: Type.Object(pageQuery(messagePage)),
      },
    },
    async (request) => {
      const owner = ownerOf(databases, request);
      const chat = await requireConversation(owner, request.params.id);
      const page = pageOf(request.query, messagePage);
      return { messages: (await listMessages(owner.db, chat.id, page)).map(publicMessage), ...page };
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof AddMessage> }>(
    '/api/chats/:id/messages',
    {
      config,
      schema: { tags, summary: 'Add a message without calling a model', params: IdParams, body: AddMessage },
    },
    async (request, reply) => {
      const owner = ownerOf(databases, request);
      const chat = await requireConversation(owner, request.params.id);
      const [message] = await addMessages(owner, chat.id, [request.body]);
      return reply.code(201).send(message ? publicMessage(message) : null);
    },
  );

  app.delete<{ Params: { id: string; messageId: string } }>(
    '/api/chats/:id/messages/:messageId',
    {
      config,
      schema: {
        tags,
        summary: 'Delete one message',
        params: Type.Object({ id: Type.String({ maxLength: 100 }), messageId: Type.String({ maxLength: 100 }) }),
      },
    },
    async (request, reply) => {
      const owner = ownerOf(databases, request);
      await requireConversation(owner, request.params.id);
      await deleteMessage(owner, request.params.id, request.params.messageId);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: { format?: 'json' | 'markdown' } }>(
    '/api/chats/:id/export',
    {
      config,
      schema: {
        tags,
        summary: 'Export a chat as JSON (re-importable) or Markdown',
        params: IdParams,
        querystring: Type.Object({
          format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('markdown')])),
        }),
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
    { config, schema: { tags, summary: 'Create a read-only share link', params: IdParams } },
    async (request, reply) => {
      const token = await createShare(ownerOf(databases, request), request.params.id);
      // `path` is the JSON API; `url` is the page in the web app that shows it.
      return reply.code(201).send({ token, path: `/api/share/${token}`, url: `/share/${token}` });
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/chats/:id/share',
    { config, schema: { tags, summary: 'Revoke every share link of a chat', params: IdParams } },
    async (request) => ({ revoked: await revokeShares(ownerOf(databases, request), request.params.id) }),
  );

  const publicBehaviour: RouteBehaviour = { auth: 'none', usage: false };
  app.get<{ Params: { token: string } }>(
    '/api/share/:token',
    {
      config: { behaviour: publicBehaviour },
      schema: {
        tags,
        summary: 'A shared chat, read-only, for anyone with the link',
        params: Type.Object({ token: Type.String({ minLength: 10, maxLength: 100 }) }),
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
