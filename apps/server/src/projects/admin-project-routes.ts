import {
  AdminProjectDetail,
  AdminProjectList,
  AdminProjectQuery,
  ErrorResponse,
  ProjectParams,
} from '@switchyard/api-schemas';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { assertAdministersAll } from '../edge/admin-environments';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import type { ProjectService } from './project-service';

const tags = ['Projects'];
const config = { behaviour: { auth: 'admin', usage: false } satisfies RouteBehaviour };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

/** The admin console's view of every project: owners, members, invitations; deleting one. */
export function registerAdminProjectRoutes(app: FastifyInstance, projects: ProjectService): void {
  app.get<{ Querystring: Static<typeof AdminProjectQuery> }>(
    '/v1/admin/projects',
    {
      config,
      schema: {
        tags,
        summary: 'Every project with its owner and member count, newest first; ?q= searches names',
        security,
        querystring: AdminProjectQuery,
        response: { 200: AdminProjectList, ...errors },
      },
    },
    async (request) => {
      // Projects are control-plane data shared by both environments: a dev admin key must not read them.
      assertAdministersAll(request.principal, 'Projects');
      const page = pageOf(request.query);
      return { ...(await projects.listAll(page, request.query.q)), ...page };
    },
  );

  app.get<{ Params: Static<typeof ProjectParams> }>(
    '/v1/admin/projects/:projectId',
    {
      config,
      schema: {
        tags,
        summary: 'One project with its members and open invitations',
        security,
        params: ProjectParams,
        response: { 200: AdminProjectDetail, ...errors },
      },
    },
    async (request) => {
      assertAdministersAll(request.principal, 'Projects');
      return projects.describe(request.params.projectId);
    },
  );

  app.delete<{ Params: Static<typeof ProjectParams> }>(
    '/v1/admin/projects/:projectId',
    {
      config,
      schema: {
        tags,
        summary: 'Delete a project with everything shared in it; its keys are revoked',
        security,
        params: ProjectParams,
        response: errors,
      },
    },
    async (request, reply) => {
      assertAdministersAll(request.principal, 'Projects');
      await projects.deleteAsAdmin(request.params.projectId);
      return reply.code(204).send();
    },
  );
}
