import { findSettingDefinition, listSettingEntries, SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import type { Runtime } from '../composition/runtime';
import type { RouteBehaviour } from '../edge/principal';
import { ErrorResponse } from '../edge/schemas';
import { KeyScopesSchema, PublicKeySchema as PublicKey } from './key-schemas';

const adminBehaviour: RouteBehaviour = { auth: 'admin' };
/** The console polls these reads; they are not API usage and would crowd the usage charts. */
const adminReadBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

const Setting = Type.Object({
  key: Type.String(),
  value: Type.Union([Type.Number(), Type.Boolean(), Type.String()]),
  type: Type.String(),
  description: Type.String(),
  default: Type.Union([Type.Number(), Type.Boolean(), Type.String()]),
  minimum: Type.Optional(Type.Number()),
  maximum: Type.Optional(Type.Number()),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
});

const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    environment: Type.Union([Type.Literal('prod'), Type.Literal('dev')]),
    admin: Type.Optional(Type.Boolean({ default: false })),
    scopes: Type.Optional(KeyScopesSchema),
  },
  { additionalProperties: false },
);

function describeSetting(runtime: Runtime, key: string) {
  const entry = runtime.settings
    .current()
    .entries()
    .find((candidate) => candidate.definition.key === key);
  if (!entry) throw new SwitchyardError('SY_ERR_SETTING_NOT_FOUND', `Unknown setting '${key}'`);
  const { definition } = entry;
  return {
    key: definition.key,
    value: entry.value,
    type: definition.type,
    description: definition.description,
    default: definition.defaultValue,
    ...(definition.minimum === undefined ? {} : { minimum: definition.minimum }),
    ...(definition.maximum === undefined ? {} : { maximum: definition.maximum }),
    updatedAt: entry.updatedAt ? entry.updatedAt.toISOString() : null,
  };
}

/** Global settings and API keys, for admin keys only. Settings apply to the next request, everywhere. */
export function registerAdminRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get(
    '/v1/admin/settings',
    {
      config: { behaviour: adminReadBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'List settings with their values, defaults and limits',
        security,
        response: { 200: Type.Object({ settings: Type.Array(Setting) }), ...errors },
      },
    },
    async () => ({
      settings: runtime.settings
        .current()
        .entries()
        .map((entry) => describeSetting(runtime, entry.definition.key)),
    }),
  );

  app.put<{ Params: { key: string }; Body: { value: unknown } }>(
    '/v1/admin/settings/:key',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Change a setting; takes effect on the next request without a restart',
        security,
        params: Type.Object({ key: Type.String() }),
        body: Type.Object({ value: Type.Unknown() }, { required: ['value'], additionalProperties: false }),
        response: { 200: Setting, ...errors },
      },
    },
    async (request) => {
      if (!findSettingDefinition(request.params.key)) {
        throw new SwitchyardError('SY_ERR_SETTING_NOT_FOUND', `Unknown setting '${request.params.key}'`);
      }
      if (request.params.key.startsWith('models.disabled.') && typeof request.body.value === 'string') {
        const unknown = listSettingEntries(request.body.value).filter((id) => !runtime.models.resolve(id));
        if (unknown.length > 0) {
          throw new SwitchyardError(
            'SY_ERR_VALIDATION',
            `Unknown model${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
          );
        }
      }
      await runtime.settings.set(request.params.key, request.body.value);
      request.log.info({ setting: request.params.key, by: request.principal?.keyId }, 'setting changed');
      return describeSetting(runtime, request.params.key);
    },
  );

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
      keys: await runtime.keyService.list({ includeRevoked: request.query.include_revoked === 'true' }),
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
      const created = await runtime.keyService.create({
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
    async (request) => runtime.keyService.revoke(request.params.id),
  );
}
