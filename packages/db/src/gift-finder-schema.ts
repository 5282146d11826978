import {
  boolean,
  doublePrecision,
  index,
  integer,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import { jsonValue } from './json-column';

/*
 * The gift finder: every service owns one PostgreSQL schema (in server mode, a role with rights on
 * that schema only; see gift-finder-roles.ts) and no service reads another's tables. They live in
 * the database of the session's environment.
 */
const moment = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** The API's read model of a session: what GET and the page show, filled from the services' events. */
export const giftSessionsSchema = pgSchema('gift_sessions');
export const giftInterviewSchema = pgSchema('gift_interview');
export const giftProfileSchema = pgSchema('gift_profile');
export const giftIdeasSchema = pgSchema('gift_ideas');
export const giftFetchSchema = pgSchema('gift_fetch');
export const giftRerankSchema = pgSchema('gift_rerank');

export const giftSessions = giftSessionsSchema.table(
  'sessions',
  {
    /** Also the id of the session's flow (its event stream). */
    id: text('id').primaryKey(),
    /** The principal's subject (`user:…` or `key:…`): only it sees the session. */
    owner: text('owner').notNull(),
    recipient: text('recipient'),
    currency: text('currency').notNull(),
    locale: text('locale'),
    status: text('status').notNull(),
    /** The turn of the latest question asked, and of the latest answered; awaiting an answer while the first is ahead. */
    questionTurn: integer('question_turn').notNull().default(0),
    answeredTurn: integer('answered_turn').notNull().default(0),
    summary: jsonValue('summary'),
    profileStatus: text('profile_status').notNull(),
    profileInterests: jsonValue('profile_interests').$type<string[]>().notNull(),
    profileFailures: jsonValue('profile_failures').$type<Array<{ url: string; reason: string }>>().notNull(),
    ranking: jsonValue('ranking'),
    createdAt: moment('created_at').notNull(),
    updatedAt: moment('updated_at').notNull(),
  },
  (table) => [index('sessions_owner_created_idx').on(table.owner, table.createdAt)],
);

export const giftSessionMessages = giftSessionsSchema.table(
  'messages',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    role: text('role').notNull(),
    turn: integer('turn').notNull(),
    text: text('text').notNull(),
    createdAt: moment('created_at').notNull(),
  },
  (table) => [index('messages_session_idx').on(table.sessionId, table.turn)],
);

export const giftSessionStages = giftSessionsSchema.table(
  'stages',
  {
    sessionId: text('session_id').notNull(),
    stage: text('stage').notNull(),
    status: text('status').notNull(),
    message: text('message'),
    progress: doublePrecision('progress'),
    updatedAt: moment('updated_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.stage] })],
);

export const giftSessionIdeas = giftSessionsSchema.table(
  'ideas',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    position: integer('position').notNull(),
    title: text('title').notNull(),
    reason: text('reason').notNull(),
    query: text('query').notNull(),
    priceMin: doublePrecision('price_min'),
    priceMax: doublePrecision('price_max'),
  },
  (table) => [index('ideas_session_idx').on(table.sessionId)],
);

export const giftSessionMarketplaces = giftSessionsSchema.table(
  'marketplaces',
  {
    sessionId: text('session_id').notNull(),
    marketplace: text('marketplace').notNull(),
    status: text('status').notNull(),
    message: text('message'),
    count: integer('count').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.marketplace] })],
);

/** Keyed by the product's id (session, marketplace, idea and link): a replayed event overwrites, never adds. */
export const giftSessionProducts = giftSessionsSchema.table(
  'products',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    ideaId: text('idea_id').notNull(),
    title: text('title').notNull(),
    price: doublePrecision('price').notNull(),
    currency: text('currency').notNull(),
    url: text('url').notNull(),
    image: text('image'),
    marketplace: text('marketplace').notNull(),
    rating: doublePrecision('rating'),
    createdAt: moment('created_at').notNull(),
  },
  (table) => [index('products_session_idx').on(table.sessionId)],
);

/** Model usage per event that reported some: summed for the session, counted once per event. */
export const giftSessionUsage = giftSessionsSchema.table(
  'usage',
  {
    sessionId: text('session_id').notNull(),
    eventId: text('event_id').notNull(),
    promptTokens: integer('prompt_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    cost: doublePrecision('cost').notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.eventId] })],
);

export const giftInterviews = giftInterviewSchema.table('interviews', {
  sessionId: text('session_id').primaryKey(),
  recipient: text('recipient'),
  currency: text('currency').notNull(),
  locale: text('locale'),
  profileRequested: boolean('profile_requested').notNull(),
  /** asking, completed, refused or failed. */
  status: text('status').notNull(),
  createdAt: moment('created_at').notNull(),
  updatedAt: moment('updated_at').notNull(),
});

export const giftInterviewMessages = giftInterviewSchema.table(
  'messages',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    role: text('role').notNull(),
    turn: integer('turn').notNull(),
    text: text('text').notNull(),
    createdAt: moment('created_at').notNull(),
  },
  (table) => [unique('messages_session_role_turn_unique').on(table.sessionId, table.role, table.turn)],
);

export const giftProfileAnalyses = giftProfileSchema.table('analyses', {
  sessionId: text('session_id').primaryKey(),
  /** completed or failed. */
  status: text('status').notNull(),
  interests: jsonValue('interests').$type<string[]>().notNull(),
  failures: jsonValue('failures').$type<Array<{ url: string; reason: string }>>().notNull(),
  sources: jsonValue('sources').$type<string[]>().notNull(),
  createdAt: moment('created_at').notNull(),
});

/** Joins the interview's request and the profile's result; ideas are made once both are in. */
export const giftIdeaRequests = giftIdeasSchema.table('requests', {
  sessionId: text('session_id').primaryKey(),
  summary: jsonValue('summary'),
  currency: text('currency'),
  locale: text('locale'),
  profileRequested: boolean('profile_requested'),
  profileInterests: jsonValue('profile_interests').$type<string[] | null>(),
  /** The event whose handling completed the join: its handler (or its redelivery) makes the ideas. */
  triggeredBy: text('triggered_by'),
  ideas: jsonValue('ideas'),
  createdAt: moment('created_at').notNull(),
  updatedAt: moment('updated_at').notNull(),
});

/** One marketplace's products for one idea, stored once (a redelivery reuses them). */
export const giftFetchSearches = giftFetchSchema.table(
  'searches',
  {
    sessionId: text('session_id').notNull(),
    marketplace: text('marketplace').notNull(),
    ideaId: text('idea_id').notNull(),
    products: jsonValue('products').notNull(),
    fetchedAt: moment('fetched_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.marketplace, table.ideaId] })],
);

/** A marketplace's Retry-After for a session: no request to it before `not_before`. */
export const giftFetchBackoffs = giftFetchSchema.table(
  'backoffs',
  {
    sessionId: text('session_id').notNull(),
    marketplace: text('marketplace').notNull(),
    notBefore: moment('not_before').notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.marketplace] })],
);

export const giftRerankRounds = giftRerankSchema.table('rounds', {
  sessionId: text('session_id').primaryKey(),
  ideas: jsonValue('ideas'),
  summary: jsonValue('summary'),
  profileInterests: jsonValue('profile_interests').$type<string[] | null>(),
  currency: text('currency'),
  /** Every marketplace of the round (from the first result that arrived). */
  expected: jsonValue('expected').$type<string[] | null>(),
  triggeredBy: text('triggered_by'),
  ranking: jsonValue('ranking'),
  /** The delivery asking the model to rank now (a random token), and until when its claim holds unless renewed. */
  rankingClaimedBy: text('ranking_claimed_by'),
  rankingClaimedUntil: moment('ranking_claimed_until'),
  createdAt: moment('created_at').notNull(),
  updatedAt: moment('updated_at').notNull(),
});

export const giftRerankResults = giftRerankSchema.table(
  'results',
  {
    sessionId: text('session_id').notNull(),
    marketplace: text('marketplace').notNull(),
    status: text('status').notNull(),
    message: text('message'),
    results: jsonValue('results').notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.marketplace] })],
);

export type GiftSessionRow = typeof giftSessions.$inferSelect;
export type GiftSessionMessageRow = typeof giftSessionMessages.$inferSelect;
export type GiftSessionStageRow = typeof giftSessionStages.$inferSelect;
export type GiftSessionIdeaRow = typeof giftSessionIdeas.$inferSelect;
export type GiftSessionMarketplaceRow = typeof giftSessionMarketplaces.$inferSelect;
export type GiftSessionProductRow = typeof giftSessionProducts.$inferSelect;
export type GiftInterviewRow = typeof giftInterviews.$inferSelect;
export type GiftInterviewMessageRow = typeof giftInterviewMessages.$inferSelect;
export type GiftIdeaRequestRow = typeof giftIdeaRequests.$inferSelect;
export type GiftRerankRoundRow = typeof giftRerankRounds.$inferSelect;
export type GiftRerankResultRow = typeof giftRerankResults.$inferSelect;
