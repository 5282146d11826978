import { CreateProjectAppRequest, ErrorResponse, ProjectApp, ProjectAppParams } from '@switchyard/api-schemas';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { actorOf, sessionOnly } from '../edge/owner';
import type { Databases } from '../infrastructure/databases';
import type { ProjectApps } from './project-apps';

export interface ProjectAppRouteDependencies {
  readonly databases: Databases;
  readonly projectApps: ProjectApps;
}

const tags = ['Apps'];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

/** A project's own apps: added and removed by its admins, seen by its members (listed by GET /api/apps?project=). */
export function registerProjectAppRoutes(
  app: FastifyInstance,
  { databases, projectApps }: ProjectAppRouteDependencies,
) {
  const config = { behaviour: sessionOnly };
  const actor = (request: Parameters<typeof actorOf>[1]) => actorOf(databases.prod.db, request);

  app.post<{ Body: CreateProjectAppRequest }>(
    '/api/apps',
    {
      config,
      schema: {
        tags,
        summary: 'Add an app to a project (its admins and owner): an MCP server by URL, or an HTTP app',
        body: CreateProjectAppRequest,
        response: { 201: ProjectApp, ...errors, 409: ErrorResponse },
      },
    },
    async (request, reply) => reply.code(201).send(await projectApps.create(actor(request), request.body)),
  );

  app.get<{ Params: Static<typeof ProjectAppParams> }>(
    '/api/apps/:id',
    {
      config,
      schema: {
        tags,
        summary: "One of a project's apps (members)",
        params: ProjectAppParams,
        response: { 200: ProjectApp, ...errors },
      },
    },
    async (request) => projectApps.get(actor(request), request.params.id),
  );

  app.delete<{ Params: Static<typeof ProjectAppParams> }>(
    '/api/apps/:id',
    {
      config,
      schema: {
        tags,
        summary: "Remove a project's app (its admins and owner)",
        params: ProjectAppParams,
        response: errors,
      },
    },
    async (request, reply) => {
      await projectApps.delete(actor(request), request.params.id);
      return reply.code(204).send();
    },
  );
}
