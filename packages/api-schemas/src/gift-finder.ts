import Type, { type Static } from 'typebox';

/** The gift finder app (docs/gift-finder.md): sessions, their interview, progress and ranked products. */

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Moment = Type.String({ format: 'date-time' });

export const GiftSessionStatus = Type.Union([
  Type.Literal('interviewing'),
  Type.Literal('searching'),
  Type.Literal('ready'),
  Type.Literal('refused'),
  Type.Literal('failed'),
]);

export const GiftSessionCreate = Type.Object(
  {
    recipient: Type.Optional(
      Type.String({ maxLength: 200, description: 'Who the present is for, e.g. "my sister Ana"' }),
    ),
    profile: Type.Optional(
      Type.Object(
        {
          links: Type.Optional(
            Type.Array(Type.String({ maxLength: 2_000, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' }), {
              maxItems: 5,
              description: 'Public profile pages (http/https) to read',
            }),
          ),
          text: Type.Optional(Type.String({ maxLength: 20_000, description: 'Text about the person, pasted' })),
          consent: Type.Boolean({ description: 'Must be true: the user agrees to the analysis' }),
        },
        { additionalProperties: false },
      ),
    ),
    currency: Type.Optional(
      Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217; default the setting gift_finder.default_currency' }),
    ),
    locale: Type.Optional(
      Type.String({ minLength: 2, maxLength: 35, pattern: '^[A-Za-z]{2,3}([_-][A-Za-z0-9]{1,8})*$' }),
    ),
  },
  { additionalProperties: false },
);
export type GiftSessionCreate = Static<typeof GiftSessionCreate>;

export const GiftAnswerCreate = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 2_000 }) },
  { additionalProperties: false },
);
export type GiftAnswerCreate = Static<typeof GiftAnswerCreate>;

export const GiftSessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export type GiftSessionParams = Static<typeof GiftSessionParams>;

export const GiftProductImageParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  productId: Type.String({ minLength: 1, maxLength: 100 }),
});
export type GiftProductImageParams = Static<typeof GiftProductImageParams>;

export const GiftMessage = Type.Object({
  id: Type.String(),
  role: Type.Union([Type.Literal('assistant'), Type.Literal('user')]),
  text: Type.String(),
  created_at: Moment,
});

export const GiftProduct = Type.Object({
  id: Type.String(),
  idea_id: Type.String(),
  title: Type.String(),
  price: Type.Number(),
  currency: Type.String(),
  url: Type.String(),
  image: nullable(Type.String()),
  marketplace: Type.String(),
  rating: nullable(Type.Number()),
});

export type GiftProduct = Static<typeof GiftProduct>;

export const GiftRankingEntry = Type.Object({ product_id: Type.String(), score: Type.Number(), reason: Type.String() });

export const GiftStage = Type.Object({
  stage: Type.Union([
    Type.Literal('interview'),
    Type.Literal('profile'),
    Type.Literal('ideas'),
    Type.Literal('fetch'),
    Type.Literal('rerank'),
  ]),
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('started'),
    Type.Literal('completed'),
    Type.Literal('failed'),
  ]),
  message: Type.Optional(Type.String()),
  progress: Type.Optional(Type.Number()),
});

export const GiftSession = Type.Object({
  id: Type.String(),
  status: GiftSessionStatus,
  recipient: nullable(Type.String()),
  currency: Type.String(),
  created_at: Moment,
  updated_at: Moment,
  messages: Type.Array(GiftMessage),
  awaiting_answer: Type.Boolean(),
  summary: nullable(
    Type.Object({
      relation: nullable(Type.String()),
      age: nullable(Type.String()),
      interests: Type.Array(Type.String()),
      occasion: nullable(Type.String()),
      budget: nullable(Type.Object({ min: Type.Number(), max: Type.Number(), currency: Type.String() })),
      dislikes: Type.Array(Type.String()),
      notes: Type.String(),
    }),
  ),
  profile: Type.Object({
    status: Type.Union([
      Type.Literal('none'),
      Type.Literal('pending'),
      Type.Literal('completed'),
      Type.Literal('failed'),
    ]),
    interests: Type.Array(Type.String()),
    failures: Type.Array(Type.Object({ url: Type.String(), reason: Type.String() })),
  }),
  stages: Type.Array(GiftStage),
  ideas: Type.Array(
    Type.Object({
      id: Type.String(),
      title: Type.String(),
      reason: Type.String(),
      query: Type.String(),
      price_min: nullable(Type.Number()),
      price_max: nullable(Type.Number()),
    }),
  ),
  marketplaces: Type.Array(
    Type.Object({
      marketplace: Type.String(),
      status: Type.Union([
        Type.Literal('pending'),
        Type.Literal('completed'),
        Type.Literal('failed'),
        Type.Literal('rate_limited'),
        Type.Literal('skipped'),
      ]),
      message: Type.Optional(Type.String()),
      count: Type.Integer(),
    }),
  ),
  products: Type.Array(GiftProduct),
  ranking: nullable(Type.Array(GiftRankingEntry)),
  usage: Type.Object({ prompt_tokens: Type.Integer(), completion_tokens: Type.Integer(), cost: Type.Number() }),
});
export type GiftSession = Static<typeof GiftSession>;

export const GiftSessionResponse = Type.Object({ session: GiftSession });
export type GiftSessionResponse = Static<typeof GiftSessionResponse>;

export const GiftSessionSummary = Type.Object({
  id: Type.String(),
  status: GiftSessionStatus,
  recipient: nullable(Type.String()),
  created_at: Moment,
  updated_at: Moment,
});
export const GiftSessionList = Type.Object({ data: Type.Array(GiftSessionSummary) });
export type GiftSessionList = Static<typeof GiftSessionList>;
