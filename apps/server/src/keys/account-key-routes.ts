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
import type { Db } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { actorOf } from '../edge/owner';
import type { RouteBehaviour } from '../edge/principal';
import { authorizeRow, creationProject, requireMembership } from '../projects/project-access';
import type { KeyService } from './key-service';

const sessionBehaviour: RouteBehaviour = { auth: 'session', usage: false };
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

function signedInUser(userId: string | null | undefined): string {
  // The session hook guarantees a user; this keeps the type honest if a route is misconfigured.
  if (!userId) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs a signed-in user');
  return userId;
}

/** A signed-in user's own API keys (seed 000: POST /api/keys with a session). */
export function registerAccountKeyRoutes(app: FastifyInstance, keys: KeyService, controlDb: Db): void {
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
      // A key made in a project acts within it: only a member (or admin, owner) may make one there.
      const projectId = request.body.project
        ? await creationProject(actorOf(controlDb, request), request.body.project)
        : null;
      const created = await keys.create({
        name: request.body.name,
        environment: request.body.environment,
        admin: false,
        ...(request.body.scopes ? { scopes: request.body.scopes } : {}),
        userId,
        projectId,
      });
      request.log.info({ keyId: created.record.id, userId, projectId }, 'user created an API key');
      return reply.code(201).send(created);
    },
  );

  app.get<{ Querystring: Static<typeof IncludeRevokedQuery> }>(
    '/api/keys',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: "Your API keys, or a project's (?project=<id>; never their secrets)",
        // Query strings are text and the server does not coerce types.
        querystring: IncludeRevokedQuery,
        response: { 200: KeyList, ...errors },
      },
    },
    async (request) => {
      const includeRevoked = request.query.include_revoked === 'true';
      if (request.query.project) {
        // Every member sees the project's keys (never their secrets); only admins revoke others'.
        await requireMembership(actorOf(controlDb, request), request.query.project);
        return { keys: await keys.listForProject(request.query.project, { includeRevoked }) };
      }
      return { keys: await keys.listForUser(signedInUser(request.principal?.userId), { includeRevoked }) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/keys/:id',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags: ['Accounts'],
        summary: "Revoke one of your keys (or, as a project admin, a project's); another user's key id answers 404",
        params: AnyIdParams,
        response: { 200: PublicKeySchema, ...errors },
      },
    },
    async (request) => {
      const userId = signedInUser(request.principal?.userId);
      const key = await keys.find(request.params.id);
      if (key?.projectId && key.userId !== userId) {
        // Another member's key in a project: revoking it is deleting it, which needs an admin's role there.
        await authorizeRow(
          actorOf(controlDb, request),
          { userId: key.userId ?? '', projectId: key.projectId },
          'delete',
          'API key',
        );
        return keys.revoke(key.id);
      }
      return keys.revokeForUser(request.params.id, userId);
    },
  );
}
