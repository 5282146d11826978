import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import { administeredEnvironments, assertAdministers } from '../edge/admin-environments';
import type { RouteBehaviour } from '../edge/principal';
import { ErrorResponse } from '../edge/schemas';
import { KeyScopesSchema, PublicKeySchema as PublicKey } from './key-schemas';
import type { KeyAdministration } from './key-service';

const adminBehaviour: RouteBehaviour = { auth: 'admin' };
/** The console polls these reads; they are not API usage and would crowd the usage charts. */
const adminReadBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    environment: Type.Union([Type.Literal('prod'), Type.Literal('dev')]),
    admin: Type.Optional(Type.Boolean({ default: false })),
    scopes: Type.Optional(KeyScopesSchema),
  },
  { additionalProperties: false },
);

/** API keys of every user, for admins of their environment (a dev admin key sees and makes dev keys only). */
export function registerAdminKeyRoutes(app: FastifyInstance, keys: KeyAdministration): void {
  app.get<{ Querystring: { include_revoked?: 'true' | 'false' } }>(
    '/v1/admin/keys',
    {
      config: { behaviour: adminReadBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'List API keys (never their secrets)',
        security,
        // Query strings are text and the server does not coerce types, so a Boolean schema would refuse "true".
        querystring: Type.Object({
          include_revoked: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
        }),
        response: { 200: Type.Object({ keys: Type.Array(PublicKey) }), ...errors },
      },
    },
    async (request) => ({
      keys: await keys.list({
        includeRevoked: request.query.include_revoked === 'true',
        environments: administeredEnvironments(request.principal),
      }),
    }),
  );

  app.post<{ Body: Static<typeof CreateKeyBody> }>(
    '/v1/admin/keys',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Create an API key; the response holds the key, shown this once',
        security,
        body: CreateKeyBody,
        response: { 201: Type.Object({ key: Type.String(), record: PublicKey }), ...errors },
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
        params: Type.Object({ id: Type.String() }),
        response: { 200: PublicKey, ...errors },
      },
    },
    // A key of an environment the caller does not administer looks like a missing one.
    async (request) => keys.revoke(request.params.id, { environments: administeredEnvironments(request.principal) }),
  );
}
