import Type from 'typebox';

/** Every Switchyard error body: a stable SY_ERR_* code and a message for people. */
export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { description: 'Switchyard error: a stable SY_ERR_* code and a human-readable message' },
);

export const OpenAIErrorResponse = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      type: Type.String(),
      param: Type.Union([Type.String(), Type.Null()]),
      code: Type.String(),
    }),
  },
  { description: 'OpenAI-shaped error; `code` is the stable SY_ERR_* code' },
);

export const Environment = Type.Union([Type.Literal('prod'), Type.Literal('dev')]);

/** `:id` of a user-owned row (chats, templates, files). */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
/** `:id` as stored ids go (keys, users, jobs): any string, the lookup answers 404. */
export const AnyIdParams = Type.Object({ id: Type.String() });
/** `:id` of an image or an image job. */
export const ShortIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** Query strings are text and the server does not coerce types: numbers arrive as digits. */
export const PageQuery = Type.Object({ limit: Type.Optional(Type.String()), offset: Type.Optional(Type.String()) });

/** `?include_revoked=true|false` on key lists. */
export const IncludeRevokedQuery = Type.Object({
  include_revoked: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
});
