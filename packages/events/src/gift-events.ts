import Type from 'typebox';
import { defineEvent } from './define-event';

/*
 * The gift finder's events (seed 003's queues). Every one carries the session id, which is also the
 * flow id the events are published under, so a session's stream is the flow's log. Services talk to
 * each other only through these.
 */

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Text = (maxLength: number) => Type.String({ maxLength });
const Currency = Type.String({ pattern: '^[A-Z]{3}$' });
const Money = Type.Number({ minimum: 0 });
const Interests = Type.Array(Text(200), { maxItems: 50 });

/** Tokens and cost of the model calls an event's work made (added to the session's usage). */
export const GiftUsage = Type.Object({
  promptTokens: Type.Integer({ minimum: 0 }),
  completionTokens: Type.Integer({ minimum: 0 }),
  cost: Money,
});

export const GiftInterviewSummary = Type.Object({
  relation: Type.Union([Text(200), Type.Null()]),
  age: Type.Union([Text(100), Type.Null()]),
  interests: Interests,
  occasion: Type.Union([Text(200), Type.Null()]),
  budget: Type.Union([Type.Object({ min: Money, max: Money, currency: Currency }), Type.Null()]),
  dislikes: Interests,
  notes: Text(4_000),
});

export const GiftMessage = Type.Object({
  id: Id,
  /** 1 for the first question; an answer has its question's turn. */
  turn: Type.Integer({ minimum: 1 }),
  text: Text(4_000),
  createdAt: Type.String(),
});

export const GiftIdea = Type.Object({
  id: Id,
  title: Text(300),
  reason: Text(2_000),
  query: Type.String({ minLength: 1, maxLength: 300 }),
  priceMin: Type.Union([Money, Type.Null()]),
  priceMax: Type.Union([Money, Type.Null()]),
});

export const GiftProduct = Type.Object({
  id: Id,
  ideaId: Id,
  title: Text(1_000),
  price: Money,
  currency: Currency,
  url: Text(4_000),
  image: Type.Union([Text(4_000), Type.Null()]),
  marketplace: Text(50),
  rating: Type.Union([Type.Number({ minimum: 0, maximum: 5 }), Type.Null()]),
});

export const GiftMarketplaceStatus = Type.Union([
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('rate_limited'),
  Type.Literal('skipped'),
]);

const session = { sessionId: Id };

/** The API opened a session: the interview service asks its first question. */
export const chatStartInterview = defineEvent('ChatStartInterview', {
  payload: Type.Object({
    ...session,
    recipient: Type.Union([Text(200), Type.Null()]),
    currency: Currency,
    locale: Type.Union([Text(35), Type.Null()]),
    /** Whether a profile analysis runs too (the ideas wait for it). */
    profileRequested: Type.Boolean(),
  }),
});

export const chatQuestionAsked = defineEvent('ChatQuestionAsked', {
  payload: Type.Object({ ...session, message: GiftMessage, usage: GiftUsage }),
});

/** The API took the user's answer to the question of `message.turn`. */
export const chatUserAnswered = defineEvent('ChatUserAnswered', {
  payload: Type.Object({ ...session, message: GiftMessage }),
});

export const chatInterviewCompleted = defineEvent('ChatInterviewCompleted', {
  payload: Type.Object({ ...session, summary: GiftInterviewSummary, usage: GiftUsage }),
});

/** The interview refused to go on (the request was inappropriate); the session ends. */
export const chatInappropriateRequest = defineEvent('ChatInappropriateRequest', {
  payload: Type.Object({ ...session, message: GiftMessage, usage: GiftUsage }),
});

/** Profile analysis of the links and text the user gave, with the user's consent. */
export const stalkingAnalyzeRequested = defineEvent('StalkingAnalyzeRequested', {
  payload: Type.Object({
    ...session,
    links: Type.Array(Type.String({ maxLength: 2_000 }), { maxItems: 5 }),
    text: Type.Union([Text(20_000), Type.Null()]),
    consent: Type.Literal(true),
  }),
});

export const stalkingCompleted = defineEvent('StalkingCompleted', {
  payload: Type.Object({
    ...session,
    status: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
    interests: Interests,
    failures: Type.Array(Type.Object({ url: Text(2_000), reason: Text(500) }), { maxItems: 5 }),
    usage: GiftUsage,
  }),
});

/** The interview is done: the ideas service turns it (and the profile, when one was asked for) into ideas. */
export const giftGenerateRequested = defineEvent('GiftGenerateRequested', {
  payload: Type.Object({
    ...session,
    summary: GiftInterviewSummary,
    currency: Currency,
    locale: Type.Union([Text(35), Type.Null()]),
    profileRequested: Type.Boolean(),
  }),
});

export const giftIdeasReady = defineEvent('GiftIdeasReady', {
  payload: Type.Object({
    ...session,
    ideas: Type.Array(GiftIdea, { minItems: 1, maxItems: 20 }),
    currency: Currency,
    summary: GiftInterviewSummary,
    /** From the profile analysis (empty without one). */
    profileInterests: Interests,
    usage: GiftUsage,
  }),
});

/** One per marketplace: its fetcher searches every idea. */
export const productsFetchRequested = defineEvent('ProductsFetchRequested', {
  payload: Type.Object({
    ...session,
    marketplace: Text(50),
    /** Every marketplace of this round; the reranker waits for all of them. */
    marketplaces: Type.Array(Text(50), { maxItems: 20 }),
    ideas: Type.Array(GiftIdea, { maxItems: 20 }),
    currency: Currency,
  }),
});

/** What one marketplace gave for every idea, or why it gave nothing. */
export const productsFetched = defineEvent('ProductsFetched', {
  payload: Type.Object({
    ...session,
    marketplace: Text(50),
    marketplaces: Type.Array(Text(50), { maxItems: 20 }),
    status: GiftMarketplaceStatus,
    message: Type.Optional(Text(2_000)),
    results: Type.Array(Type.Object({ ideaId: Id, products: Type.Array(GiftProduct, { maxItems: 100 }) }), {
      maxItems: 20,
    }),
  }),
});

/** The final, ranked list: the session is ready. */
export const giftReady = defineEvent('GiftReady', {
  payload: Type.Object({
    ...session,
    ranking: Type.Array(Type.Object({ productId: Id, score: Type.Number(), reason: Text(1_000) }), {
      maxItems: 200,
    }),
    products: Type.Array(GiftProduct, { maxItems: 200 }),
    usage: GiftUsage,
  }),
});

/** A stage gave up (the model kept answering nonsense, a dependency stayed down); the session failed. */
export const giftSessionFailed = defineEvent('GiftSessionFailed', {
  payload: Type.Object({
    ...session,
    stage: Type.Union([
      Type.Literal('interview'),
      Type.Literal('profile'),
      Type.Literal('ideas'),
      Type.Literal('fetch'),
      Type.Literal('rerank'),
    ]),
    message: Text(2_000),
    usage: GiftUsage,
  }),
});

export const giftFinderEvents = [
  stalkingAnalyzeRequested,
  stalkingCompleted,
  chatStartInterview,
  chatQuestionAsked,
  chatUserAnswered,
  chatInterviewCompleted,
  chatInappropriateRequest,
  giftGenerateRequested,
  giftIdeasReady,
  productsFetchRequested,
  productsFetched,
  giftReady,
  giftSessionFailed,
] as const;
