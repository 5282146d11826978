import Type, { type TArray, type TInteger, type TSchema } from 'typebox';

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

/** The error answers of the OpenAI-compatible model routes (chat, completions, responses, embeddings, moderations). */
export const OpenAIErrorResponses = {
  400: OpenAIErrorResponse,
  401: OpenAIErrorResponse,
  404: OpenAIErrorResponse,
  429: OpenAIErrorResponse,
} as const;

export const Environment = Type.Union([Type.Literal('prod'), Type.Literal('dev')]);

/** `:id` of a user-owned row (chats, templates, files). */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
/** `:id` as stored ids go (keys, users, jobs): any string, the lookup answers 404. */
export const AnyIdParams = Type.Object({ id: Type.String() });
/** `:id` of an image or an image job. */
export const ShortIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export interface PageRule {
  /** The page size when the client names none. */
  readonly defaultLimit: number;
  /** The largest page a client may ask for. */
  readonly maximum: number;
}

/** Chats, files, templates: pages of 50, at most 100. */
export const standardPage: PageRule = { defaultLimit: 50, maximum: 100 };
/** A chat's messages come in longer pages. */
export const messagePage: PageRule = { defaultLimit: 50, maximum: 500 };
/** Admins page through users a thousand at a time. */
export const userPage: PageRule = { defaultLimit: 100, maximum: 1000 };
/** Dead-lettered jobs. */
export const deadJobPage: PageRule = { defaultLimit: 50, maximum: 1000 };
/** The admin console's key list: one page holds every key of most installations. */
export const adminKeyPage: PageRule = { defaultLimit: 1000, maximum: 1000 };

/** `?q=` on admin lists (users by email, keys by name or prefix, projects by name): contains, any case. */
export const searchQueryField = {
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Only rows that contain this text (any case)' })),
};

/**
 * `limit` and `offset` for a list route's querystring. The server does not coerce query strings,
 * so they are text here and the server's `pageOf` reads them, refusing anything but a whole
 * number in range with one clear SY_ERR_VALIDATION.
 */
export function pageQueryFields(rule: PageRule = standardPage) {
  return {
    limit: Type.Optional(
      Type.String({ description: `Page size: 1 to ${rule.maximum}, default ${rule.defaultLimit}`, examples: ['20'] }),
    ),
    offset: Type.Optional(Type.String({ description: 'How many items to skip, default 0', examples: ['0'] })),
  };
}

export const PageQuery = Type.Object(pageQueryFields());

/** The page a list answer was cut to: the `limit` and `offset` it used. */
export const pageFields: { limit: TInteger; offset: TInteger } = { limit: Type.Integer(), offset: Type.Integer() };

/**
 * A paged list answer, `{ <key>: [item…], limit, offset }`: the envelope every paged list route
 * answers with. A list with fields of its own (a total, an unread count) spreads `pageFields`.
 */
export function pagedList<Key extends string, Item extends TSchema>(key: Key, item: Item) {
  return Type.Object({ [key]: Type.Array(item), ...pageFields } as { [K in Key]: TArray<Item> } & typeof pageFields);
}

/** `?project=<id>` on the lists of things that can be shared in a project: that project's, not your own. */
export const projectQueryField = {
  project: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'A project you are a member of: list what is shared there instead of your own',
    }),
  ),
};
export const ProjectQuery = Type.Object(projectQueryField);
export const ProjectPageQuery = Type.Object({ ...pageQueryFields(), ...projectQueryField });

/** Where a new chat, template or saved search goes: a project the caller may create in (member or more). */
export const projectIdField = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'Share it in this project (you need a member role or more there); absent: your own',
});

/** Who made a thing and where it is shared (null: the caller's own). */
export const sharingFields = {
  projectId: Type.Union([Type.String(), Type.Null()], { description: 'The project it is shared in, or null' }),
  createdBy: Type.String({ description: 'The id of the user who made it' }),
};
export const MessagePageQuery = Type.Object({
  ...pageQueryFields(messagePage),
  from: Type.Optional(
    Type.Union([Type.Literal('start'), Type.Literal('end')], {
      description:
        'end: the offset counts back from the newest message (offset 0, limit 100: the newest 100), for ' +
        'showing a long chat newest first; start (default): from the first message. Either way the page is oldest first',
    }),
  ),
});

/** `?include_revoked=true|false` on key lists. */
export const IncludeRevokedQuery = Type.Object({
  include_revoked: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  ...projectQueryField,
});

/** GET /v1/admin/keys: revoked ones too when asked, a search, a page. */
export const AdminKeyQuery = Type.Object({
  include_revoked: IncludeRevokedQuery.properties.include_revoked,
  ...searchQueryField,
  ...pageQueryFields(adminKeyPage),
});
