import { keyScopes } from '@switchyard/core';
import Type from 'typebox';

export const KeyScopeSchema = Type.Union(
  [Type.Literal('chat'), Type.Literal('images'), Type.Literal('messages'), Type.Literal('admin')],
  { description: "What a key may do: chat, images, messages; 'admin' only on admin keys" },
);

export const KeyScopesSchema = Type.Array(KeyScopeSchema, {
  minItems: 1,
  maxItems: keyScopes.length,
  uniqueItems: true,
});

/** A key as it is shown anywhere: never its secret or hash. */
export const PublicKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  environment: Type.String(),
  admin: Type.Boolean(),
  scopes: Type.Array(Type.String()),
  userId: Type.Union([Type.String(), Type.Null()], { description: 'The user who owns it, for keys made in /api/keys' }),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
