import {
  AnyIdParams,
  ErrorResponse,
  Me,
  PublicUser,
  RoleRequest,
  UserList,
  UserListQuery,
  userPage,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { assertAdministersAll } from '../edge/admin-environments';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import type { AccountService } from './account-service';

const adminBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const security = [{ bearer: [] }];

/** Who is signed in, and the admin's view of all users with role changes that apply on the next request. */
export function registerUserRoutes(
  app: FastifyInstance,
  accounts: Pick<AccountService, 'sessionFromHeaders' | 'listUsers' | 'setRole'>,
): void {
  app.get(
    '/api/me',
    {
      config: { behaviour: { auth: 'session', usage: false } },
      schema: {
        tags: ['Accounts'],
        summary: 'The signed-in user, with the role in force now',
        response: {
          200: Me,
          401: ErrorResponse,
        },
      },
    },
    async (request) => {
      const user = await accounts.sessionFromHeaders({
        cookie: request.headers.cookie,
        host: request.headers.host,
      });
      // The hook found a session a moment ago; null here means it was revoked in between.
      if (!user) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'The session has ended; sign in again');
      return { id: user.userId, email: user.email, name: user.name, role: user.role };
    },
  );

  app.get<{ Querystring: Static<typeof UserListQuery> }>(
    '/api/users',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: 'All users, oldest first (admins only); ?q= searches email addresses',
        security,
        querystring: UserListQuery,
        response: { 200: UserList, ...errors },
      },
    },
    async (request) => {
      // Users live in the control plane and sign in to prod: a dev admin key must not read them.
      assertAdministersAll(request.principal, 'Users');
      const page = pageOf(request.query, userPage);
      return { users: await accounts.listUsers({ ...page, ...(request.query.q ? { search: request.query.q } : {}) }) };
    },
  );

  app.put<{ Params: Static<typeof AnyIdParams>; Body: RoleRequest }>(
    '/api/users/:id/role',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: "Change a user's role; every session of theirs sees it on its next request",
        security,
        params: AnyIdParams,
        body: RoleRequest,
        response: { 200: PublicUser, ...errors },
      },
    },
    async (request) => {
      assertAdministersAll(request.principal, 'User roles');
      const updated = await accounts.setRole(request.params.id, request.body.role);
      request.log.info(
        { userId: updated.id, role: updated.role, by: request.principal?.userId ?? request.principal?.keyId },
        'user role changed',
      );
      return updated;
    },
  );
}
