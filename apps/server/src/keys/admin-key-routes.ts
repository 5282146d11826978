import {
  AdminKeyQuery,
  AnyIdParams,
  adminKeyPage,
  CreateAdminKeyRequest,
  CreatedKey,
  ErrorResponse,
  KeyList,
  PublicKeySchema,
} from '@switchyard/api-schemas';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { administeredEnvironments, assertAdministers } from '../edge/admin-environments';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import type { KeyAdministration } from './key-service';

const adminBehaviour: RouteBehaviour = { auth: 'admin' };
/** The console polls these reads; they are not API usage and would crowd the usage charts. */
const adminReadBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

/** API keys of every user, for admins of their environment (a dev admin key sees and makes dev keys only). */
export function registerAdminKeyRoutes(app: FastifyInstance, keys: KeyAdministration): void {
  app.get<{ Querystring: Static<typeof AdminKeyQuery> }>(
    '/v1/admin/keys',
    {
      config: { behaviour: adminReadBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'List API keys (never their secrets); ?q= searches names and prefixes',
        security,
        // Query strings are text and the server does not coerce types, so a Boolean schema would refuse "true".
        querystring: AdminKeyQuery,
        response: { 200: KeyList, ...errors },
      },
    },
    async (request) => ({
      keys: await keys.list({
        includeRevoked: request.query.include_revoked === 'true',
        environments: administeredEnvironments(request.principal),
        ...(request.query.q ? { search: request.query.q } : {}),
        page: pageOf(request.query, adminKeyPage),
      }),
    }),
  );

  app.post<{ Body: CreateAdminKeyRequest }>(
    '/v1/admin/keys',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Create an API key; the response holds the key, shown this once',
        security,
        body: CreateAdminKeyRequest,
        response: { 201: CreatedKey, ...errors },
      },
    },
    async (request, reply) => {
      assertAdministers(request.principal, request.body.environment);
      const created = await keys.create({
        name: request.body.name,
        environment: request.body.environment,
        admin: request.body.admin === true,
        ...(request.body.scopes ? { scopes: request.body.scopes } : {}),
      });
      return reply.code(201).send(created);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/admin/keys/:id',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Revoke an API key; every process rejects it from the next request',
        security,
        params: AnyIdParams,
        response: { 200: PublicKeySchema, ...errors },
      },
    },
    // A key of an environment the caller does not administer looks like a missing one.
    async (request) => keys.revoke(request.params.id, { environments: administeredEnvironments(request.principal) }),
  );
}
