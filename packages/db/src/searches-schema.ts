import { randomUUID } from 'node:crypto';
import { bigint, boolean, index, integer, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { users } from './accounts-schema';
import { jsonValue } from './json-column';
import { projects } from './projects-schema';

export const searchTimeRanges = ['day', 'week', 'month', 'year'] as const;
export type SearchTimeRange = (typeof searchTimeRanges)[number];

/**
 * A user's saved search (prod database, with the users). Its schedule is a row of `schedules` with the
 * same id and origin `search`; notification channels are stored preferences that notifications read.
 */
export const savedSearches = pgTable(
  'saved_searches',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The project it is shared in; null: the user's own. */
    projectId: text('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    query: text('query').notNull(),
    /** The web-search provider type (`searxng`, `brave`, `tavily`) the search runs on. */
    provider: text('provider').notNull(),
    language: text('language'),
    timeRange: text('time_range', { enum: searchTimeRanges }),
    sites: jsonValue('sites').$type<string[]>().notNull(),
    channels: jsonValue('channels').$type<string[]>().notNull(),
    /** Summarise each run's new results with `summaryModel` (or the default chat model). */
    summarise: boolean('summarise').notNull().default(false),
    summaryModel: text('summary_model'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    index('saved_searches_user_idx').on(table.userId, table.createdAt),
    index('saved_searches_project_idx').on(table.projectId, table.createdAt),
  ],
);

/** One run of a saved search: how many results it saw, how many were new, and the summary of those. */
export const savedSearchRuns = pgTable(
  'saved_search_runs',
  {
    id: text('id').primaryKey(),
    searchId: text('search_id')
      .notNull()
      .references(() => savedSearches.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['succeeded', 'failed'] }).notNull(),
    totalResults: integer('total_results').notNull().default(0),
    newResults: integer('new_results').notNull().default(0),
    summary: text('summary'),
    error: jsonValue('error').$type<{ code: string | null; message: string } | null>(),
    ranAt: timestamp('ran_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [index('saved_search_runs_search_idx').on(table.searchId, table.ranAt)],
);

/**
 * Every result a saved search has found, once: the unique normalised URL per search is what keeps a
 * run to what is new since the previous ones. `run_id` is the run that found it first.
 */
export const savedSearchResults = pgTable(
  'saved_search_results',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    searchId: text('search_id')
      .notNull()
      .references(() => savedSearches.id, { onDelete: 'cascade' }),
    runId: text('run_id').notNull(),
    normalizedUrl: text('normalized_url').notNull(),
    url: text('url').notNull(),
    title: text('title').notNull(),
    snippet: text('snippet').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }),
    foundAt: timestamp('found_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    unique('saved_search_results_url_unique').on(table.searchId, table.normalizedUrl),
    index('saved_search_results_run_idx').on(table.runId),
  ],
);

export type SavedSearchRow = typeof savedSearches.$inferSelect;
export type SavedSearchInsert = typeof savedSearches.$inferInsert;
export type SavedSearchRunRow = typeof savedSearchRuns.$inferSelect;
export type SavedSearchResultRow = typeof savedSearchResults.$inferSelect;
