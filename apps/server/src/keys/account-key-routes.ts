import {
  AnyIdParams,
  CreateAccountKeyRequest,
  CreatedKey,
  ErrorResponse,
  IncludeRevokedQuery,
  KeyList,
  PublicKeySchema,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { RouteBehaviour } from '../edge/principal';
import type { KeyService } from './key-service';

const sessionBehaviour: RouteBehaviour = { auth: 'session', usage: false };
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

function signedInUser(userId: string | null | undefined): string {
  // The session hook guarantees a user; this keeps the type honest if a route is misconfigured.
  if (!userId) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs a signed-in user');
  return userId;
}

/** A signed-in user's own API keys (seed 000: POST /api/keys with a session). */
export function registerAccountKeyRoutes(app: FastifyInstance, keys: KeyService): void {
  app.post<{ Body: CreateAccountKeyRequest }>(
    '/api/keys',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: 'Create an API key for yourself; the response holds the key, shown this once',
        body: CreateAccountKeyRequest,
        response: { 201: CreatedKey, ...errors },
      },
    },
    async (request, reply) => {
      const userId = signedInUser(request.principal?.userId);
      if (request.body.scopes?.includes('admin')) {
        throw new SwitchyardError(
          'SY_ERR_FORBIDDEN',
          "The 'admin' scope belongs to admin keys, which an admin creates with POST /v1/admin/keys",
        );
      }
      const created = await keys.create({
        name: request.body.name,
        environment: request.body.environment,
        admin: false,
        ...(request.body.scopes ? { scopes: request.body.scopes } : {}),
        userId,
      });
      request.log.info({ keyId: created.record.id, userId }, 'user created an API key');
      return reply.code(201).send(created);
    },
  );

  app.get<{ Querystring: Static<typeof IncludeRevokedQuery> }>(
    '/api/keys',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: 'Your API keys (never their secrets)',
        // Query strings are text and the server does not coerce types.
        querystring: IncludeRevokedQuery,
        response: { 200: KeyList, ...errors },
      },
    },
    async (request) => ({
      keys: await keys.listForUser(signedInUser(request.principal?.userId), {
        includeRevoked: request.query.include_revoked === 'true',
      }),
    }),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/keys/:id',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: "Revoke one of your keys; another user's key id answers 404",
        params: AnyIdParams,
        response: { 200: PublicKeySchema, ...errors },
      },
    },
    async (request) => keys.revokeForUser(request.params.id, signedInUser(request.principal?.userId)),
  );
}
