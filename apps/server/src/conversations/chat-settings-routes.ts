import {
  Assistant,
  AssistantList,
  ChatPreset,
  CreateAssistantRequest,
  CreatePresetRequest,
  IdParams,
  PageQuery,
  PresetList,
  UpdateAssistantRequest,
  UpdatePresetRequest,
} from '@switchyard/api-schemas';
import type { AssistantRow, ChatPresetRow } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { ownerOf, sessionOnly } from '../edge/owner';
import { pageOf } from '../edge/paging';
import type { Databases } from '../infrastructure/databases';
import {
  createAssistant,
  createPreset,
  deleteAssistant,
  deletePreset,
  listAssistants,
  listPresets,
  requireAssistantOf,
  requirePreset,
  updateAssistant,
  updatePreset,
} from './chat-settings-store';

const tags = ['Conversations'];

function publicPreset(preset: ChatPresetRow) {
  const { userId: _owner, ...rest } = preset;
  return rest;
}

function publicAssistant(assistant: AssistantRow) {
  const { userId: _owner, ...rest } = assistant;
  return rest;
}

/** A user's saved chat presets and custom assistants. */
export function registerChatSettingsRoutes(app: FastifyInstance, databases: Databases): void {
  const config = { behaviour: sessionOnly };

  app.post<{ Body: CreatePresetRequest }>(
    '/api/presets',
    {
      config,
      schema: {
        tags,
        summary: 'Save a preset: a system prompt, a model and parameters',
        body: CreatePresetRequest,
        response: { 201: ChatPreset },
      },
    },
    async (request, reply) =>
      reply.code(201).send(publicPreset(await createPreset(ownerOf(databases, request), request.body))),
  );

  app.get<{ Querystring: { limit?: string; offset?: string } }>(
    '/api/presets',
    {
      config,
      schema: { tags, summary: 'Your presets, by name', querystring: PageQuery, response: { 200: PresetList } },
    },
    async (request) => {
      const page = pageOf(request.query);
      return { presets: (await listPresets(ownerOf(databases, request), page)).map(publicPreset), ...page };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/presets/:id',
    { config, schema: { tags, summary: 'One of your presets', params: IdParams, response: { 200: ChatPreset } } },
    async (request) => publicPreset(await requirePreset(ownerOf(databases, request), request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: UpdatePresetRequest }>(
    '/api/presets/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Change a preset',
        params: IdParams,
        body: UpdatePresetRequest,
        response: { 200: ChatPreset },
      },
    },
    async (request) => publicPreset(await updatePreset(ownerOf(databases, request), request.params.id, request.body)),
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/presets/:id',
    { config, schema: { tags, summary: 'Delete a preset', params: IdParams } },
    async (request, reply) => {
      await deletePreset(ownerOf(databases, request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: CreateAssistantRequest }>(
    '/api/assistants',
    {
      config,
      schema: {
        tags,
        summary: 'Create a custom assistant: instructions, a model, parameters, default apps and files',
        body: CreateAssistantRequest,
        response: { 201: Assistant },
      },
    },
    async (request, reply) =>
      reply.code(201).send(publicAssistant(await createAssistant(ownerOf(databases, request), request.body))),
  );

  app.get<{ Querystring: { limit?: string; offset?: string } }>(
    '/api/assistants',
    {
      config,
      schema: { tags, summary: 'Your assistants, by name', querystring: PageQuery, response: { 200: AssistantList } },
    },
    async (request) => {
      const page = pageOf(request.query);
      return { assistants: (await listAssistants(ownerOf(databases, request), page)).map(publicAssistant), ...page };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/assistants/:id',
    { config, schema: { tags, summary: 'One of your assistants', params: IdParams, response: { 200: Assistant } } },
    async (request) => publicAssistant(await requireAssistantOf(ownerOf(databases, request), request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: UpdateAssistantRequest }>(
    '/api/assistants/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Change an assistant',
        params: IdParams,
        body: UpdateAssistantRequest,
        response: { 200: Assistant },
      },
    },
    async (request) =>
      publicAssistant(await updateAssistant(ownerOf(databases, request), request.params.id, request.body)),
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/assistants/:id',
    {
      config,
      schema: { tags, summary: 'Delete an assistant (its chats keep their messages)', params: IdParams },
    },
    async (request, reply) => {
      await deleteAssistant(ownerOf(databases, request), request.params.id);
      return reply.code(204).send();
    },
  );
}
