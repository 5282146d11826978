import {
  CreateTemplateRequest,
  IdParams,
  ProjectPageQuery,
  PromptTemplate,
  RenderedTemplate,
  RenderTemplateRequest,
  TemplateList,
  UpdateTemplateRequest,
} from '@switchyard/api-schemas';
import type { PromptTemplateRow } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { ownerOf, sessionOnly } from '../edge/owner';
import { pageOf } from '../edge/paging';
import type { Databases } from '../infrastructure/databases';
import { renderTemplate, templateVariables } from './prompt-template';
import { createTemplate, deleteTemplate, listTemplates, requireTemplate, updateTemplate } from './template-store';

const tags = ['Conversations'];

function publicTemplate(template: PromptTemplateRow) {
  const { userId, ...rest } = template;
  return { ...rest, createdBy: userId, variables: templateVariables(template.body) };
}

/** Prompt templates with `{{variables}}`, per user. */
export function registerTemplateRoutes(app: FastifyInstance, databases: Databases): void {
  const config = { behaviour: sessionOnly };

  app.post<{ Body: CreateTemplateRequest }>(
    '/api/templates',
    {
      config,
      schema: {
        tags,
        summary: 'Create a prompt template',
        body: CreateTemplateRequest,
        response: { 201: PromptTemplate },
      },
    },
    async (request, reply) =>
      reply.code(201).send(publicTemplate(await createTemplate(ownerOf(databases, request), request.body))),
  );

  app.get<{ Querystring: { limit?: string; offset?: string; project?: string } }>(
    '/api/templates',
    {
      config,
      schema: {
        tags,
        summary: "Your prompt templates, or a project's (?project=<id>)",
        querystring: ProjectPageQuery,
        response: { 200: TemplateList },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const owner = ownerOf(databases, request);
      const templates = await listTemplates(owner, page, request.query.project);
      return { templates: templates.map(publicTemplate), ...page };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/templates/:id',
    { config, schema: { tags, summary: 'One prompt template', params: IdParams, response: { 200: PromptTemplate } } },
    async (request) => publicTemplate(await requireTemplate(ownerOf(databases, request), request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: UpdateTemplateRequest }>(
    '/api/templates/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Change a prompt template',
        params: IdParams,
        body: UpdateTemplateRequest,
        response: { 200: PromptTemplate },
      },
    },
    async (request) =>
      publicTemplate(await updateTemplate(ownerOf(databases, request), request.params.id, request.body)),
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/templates/:id',
    { config, schema: { tags, summary: 'Delete a prompt template', params: IdParams } },
    async (request, reply) => {
      await deleteTemplate(ownerOf(databases, request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: RenderTemplateRequest }>(
    '/api/templates/:id/render',
    {
      config,
      schema: {
        tags,
        summary: 'Fill in a template; every variable is required',
        params: IdParams,
        body: RenderTemplateRequest,
        response: { 200: RenderedTemplate },
      },
    },
    async (request) => {
      const template = await requireTemplate(ownerOf(databases, request), request.params.id);
      return { text: renderTemplate(template.body, request.body.variables) };
    },
  );
}
