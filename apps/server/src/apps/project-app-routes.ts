import {
  CreateProjectAppRequest,
  ErrorResponse,
  ProjectApp,
  ProjectAppList,
  ProjectAppListParams,
  ProjectAppParams,
  UpdateProjectAppRequest,
} from '@switchyard/api-schemas';
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

/**
 * A project's own apps: added, changed and removed by its admins, seen by its members (GET
 * /api/projects/{id}/apps lists them all; GET /api/apps?project= offers the switched-on ones to its chats).
 */
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

  app.get<{ Params: Static<typeof ProjectAppListParams> }>(
    '/api/projects/:projectId/apps',
    {
      config,
      schema: {
        tags,
        summary: "A project's own apps, switched-off ones too (members)",
        params: ProjectAppListParams,
        response: { 200: ProjectAppList, ...errors },
      },
    },
    async (request) => ({ apps: await projectApps.list(actor(request), request.params.projectId) }),
  );

  app.patch<{ Params: Static<typeof ProjectAppParams>; Body: UpdateProjectAppRequest }>(
    '/api/apps/:id',
    {
      config,
      schema: {
        tags,
        summary:
          "Change a project's app (its admins and owner): name, description, URL, headers, secret, limits, enabled. Checked as POST is; header values and the secret are never shown back",
        params: ProjectAppParams,
        body: UpdateProjectAppRequest,
        response: { 200: ProjectApp, ...errors },
      },
    },
    async (request) => projectApps.update(actor(request), request.params.id, request.body),
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
