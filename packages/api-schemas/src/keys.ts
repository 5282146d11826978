import Type, { type Static } from 'typebox';
import { Environment } from './common';

/** The scopes a key can hold; packages/core's `keyScopes` lists the same (a server test checks). */
export const KeyScopeSchema = Type.Union(
  [Type.Literal('chat'), Type.Literal('images'), Type.Literal('messages'), Type.Literal('apps'), Type.Literal('admin')],
  { description: "What a key may do: chat, images, messages, apps; 'admin' only on admin keys" },
);
export type KeyScope = Static<typeof KeyScopeSchema>;

export const KeyScopesSchema = Type.Array(KeyScopeSchema, { minItems: 1, maxItems: 5, uniqueItems: true });

/** A key as it is shown anywhere: never its secret or hash. */
export const PublicKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  environment: Type.String(),
  admin: Type.Boolean(),
  scopes: Type.Array(Type.String()),
  userId: Type.Union([Type.String(), Type.Null()], { description: 'The user who owns it, for keys made in /api/keys' }),
  projectId: Type.Union([Type.String(), Type.Null()], {
    description: 'The project the key acts within (made there by a member), or null',
  }),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
export type PublicKey = Static<typeof PublicKeySchema>;

export const KeyList = Type.Object({ keys: Type.Array(PublicKeySchema) });
export type KeyList = Static<typeof KeyList>;

/** A new key: `key` is the secret, shown this once. */
export const CreatedKey = Type.Object({ key: Type.String(), record: PublicKeySchema });
export type CreatedKey = Static<typeof CreatedKey>;

// Unknown fields (userId, admin, isAdmin, …) are rejected: the owner comes from the session, never the body.
export const CreateAccountKeyRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    environment: Environment,
    scopes: Type.Optional(KeyScopesSchema),
    project: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'A project you are a member (or admin, owner) of: the key acts within it',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateAccountKeyRequest = Static<typeof CreateAccountKeyRequest>;

export const CreateAdminKeyRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    environment: Environment,
    admin: Type.Optional(Type.Boolean({ default: false })),
    scopes: Type.Optional(KeyScopesSchema),
  },
  { additionalProperties: false },
);
export type CreateAdminKeyRequest = Static<typeof CreateAdminKeyRequest>;
