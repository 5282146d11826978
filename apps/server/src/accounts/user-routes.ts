import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { pageOf, pageQuery } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import { ErrorResponse } from '../edge/schemas';
import type { AccountService } from './account-service';

/** Admins page through users a thousand at a time. */
const userPage = { defaultLimit: 100, maximum: 1000 };

const adminBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const security = [{ bearer: [] }];

const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('user')]);

const PublicUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  emailVerified: Type.Boolean(),
  createdAt: Type.String(),
});

const RoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });

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
          200: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), role: RoleSchema }),
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

  app.get<{ Querystring: { limit?: string; offset?: string } }>(
    '/api/users',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: 'All users, oldest first (admins only)',
        security,
        querystring: Type.Object(pageQuery(userPage)),
        response: { 200: Type.Object({ users: Type.Array(PublicUser) }), ...errors },
      },
    },
    async (request) => {
      return { users: await accounts.listUsers(pageOf(request.query, userPage)) };
    },
  );

  app.put<{ Params: { id: string }; Body: Static<typeof RoleBody> }>(
    '/api/users/:id/role',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: "Change a user's role; every session of theirs sees it on its next request",
        security,
        params: Type.Object({ id: Type.String() }),
        body: RoleBody,
        response: { 200: PublicUser, ...errors },
      },
    },
    async (request) => {
      const updated = await accounts.setRole(request.params.id, request.body.role);
      request.log.info(
        { userId: updated.id, role: updated.role, by: request.principal?.userId ?? request.principal?.keyId },
        'user role changed',
      );
      return updated;
    },
  );
}
