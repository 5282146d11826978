import type { PromptTemplateRow } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { ownerOf, sessionOnly } from '../edge/owner';
import { pageOf, pageQuery } from '../edge/paging';
import type { Databases } from '../infrastructure/databases';
import { renderTemplate, templateVariables } from './prompt-template';
import { createTemplate, deleteTemplate, listTemplates, requireTemplate, updateTemplate } from './template-store';

const Fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ minLength: 1, maxLength: 50_000 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
};
const CreateTemplate = Type.Object(Fields, { additionalProperties: false });
const UpdateTemplate = Type.Object(
  { name: Type.Optional(Fields.name), body: Type.Optional(Fields.body), description: Fields.description },
  { additionalProperties: false, minProperties: 1 },
);
const RenderBody = Type.Object(
  { variables: Type.Record(Type.String(), Type.String({ maxLength: 100_000 })) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const tags = ['Conversations'];

function publicTemplate(template: PromptTemplateRow) {
  const { userId: _owner, ...rest } = template;
  return { ...rest, variables: templateVariables(template.body) };
}

/** Prompt templates with `{{variables}}`, per user. */
export function registerTemplateRoutes(app: FastifyInstance, databases: Databases): void {
  const config = { behaviour: sessionOnly };

  app.post<{ Body: Static<typeof CreateTemplate> }>(
    '/api/templates',
    { config, schema: { tags, summary: 'Create a prompt template', body: CreateTemplate } },
    async (request, reply) =>
      reply.code(201).send(publicTemplate(await createTemplate(ownerOf(databases, request), request.body))),
  );

  app.get<{ Querystring: { limit?: string; offset?: string } }>(
    '/api/templates',
    {
      config,
      schema: {
        tags,
        summary: 'Your prompt templates',
        querystring: Type.Object(pageQuery()),
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      return { templates: (await listTemplates(ownerOf(databases, request), page)).map(publicTemplate), ...page };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/templates/:id',
    { config, schema: { tags, summary: 'One prompt template', params: IdParams } },
    async (request) => publicTemplate(await requireTemplate(ownerOf(databases, request), request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateTemplate> }>(
    '/api/templates/:id',
    { config, schema: { tags, summary: 'Change a prompt template', params: IdParams, body: UpdateTemplate } },
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

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RenderBody> }>(
    '/api/templates/:id/render',
    {
      config,
      schema: { tags, summary: 'Fill in a template; every variable is required', params: IdParams, body: RenderBody },
    },
    async (request) => {
      const template = await requireTemplate(ownerOf(databases, request), request.params.id);
      return { text: renderTemplate(template.body, request.body.variables) };
    },
  );
}
