import Type, { type Static } from 'typebox';
import { projectIdField } from './common';
import { ScheduleRun } from './schedules';

const Timestamp = Type.String({ format: 'date-time' });
const TimeRange = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('year')], {
  description: 'Only pages from the last day, week, month or year',
});
const Channel = Type.Union([Type.Literal('in_app'), Type.Literal('email'), Type.Literal('whatsapp')]);
const Site = Type.String({
  pattern: '^(?=.{1,253}$)([a-zA-Z0-9-]+\\.)+[a-zA-Z]{2,63}$',
  description: 'A host name such as example.com',
});
const MissedPolicy = Type.Union([Type.Literal('skip'), Type.Literal('run_once')]);

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  query: Type.String({ minLength: 1, maxLength: 500 }),
  provider: Type.String({ minLength: 1, maxLength: 50, description: 'searxng, brave or tavily: the one configured' }),
  language: Type.Union([Type.String({ pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$' }), Type.Null()]),
  time_range: Type.Union([TimeRange, Type.Null()]),
  sites: Type.Array(Site, { maxItems: 10, uniqueItems: true }),
  channels: Type.Array(Channel, { maxItems: 3, uniqueItems: true, description: 'Where to be told about new results' }),
  summarise: Type.Boolean({ description: 'Summarise the new results of each run with a model' }),
  summary_model: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]),
  cron: Type.String({ minLength: 1, maxLength: 200, description: 'Cron expression, read in `timezone`' }),
  timezone: Type.String({ minLength: 1, maxLength: 64 }),
  interval_ms: Type.Integer({ minimum: 900_000, description: 'Fixed interval in milliseconds (at least 15 minutes)' }),
  missed_policy: MissedPolicy,
};

export const SavedSearch = Type.Object({
  id: Type.String(),
  name: Type.String(),
  query: Type.String(),
  provider: Type.String(),
  language: Type.Union([Type.String(), Type.Null()]),
  time_range: Type.Union([TimeRange, Type.Null()]),
  sites: Type.Array(Type.String()),
  channels: Type.Array(Type.String()),
  summarise: Type.Boolean(),
  summary_model: Type.Union([Type.String(), Type.Null()]),
  cron: Type.Union([Type.String(), Type.Null()]),
  timezone: Type.Union([Type.String(), Type.Null()]),
  interval_ms: Type.Union([Type.Integer(), Type.Null()]),
  missed_policy: MissedPolicy,
  paused: Type.Boolean(),
  next_run_at: Type.Union([Timestamp, Type.Null()]),
  last_run: Type.Union([ScheduleRun, Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
  project_id: Type.Union([Type.String(), Type.Null()], { description: 'The project it is shared in, or null' }),
  created_by: Type.String({ description: 'The id of the user who made it' }),
});
export type SavedSearch = Static<typeof SavedSearch>;

export const SavedSearchList = Type.Object({ searches: Type.Array(SavedSearch) });
export type SavedSearchList = Static<typeof SavedSearchList>;

export const CreateSavedSearchRequest = Type.Object(
  {
    name: Type.Optional(fields.name),
    query: fields.query,
    project_id: Type.Optional(projectIdField),
    provider: Type.Optional(fields.provider),
    language: Type.Optional(fields.language),
    time_range: Type.Optional(fields.time_range),
    sites: Type.Optional(fields.sites),
    channels: Type.Optional(fields.channels),
    summarise: Type.Optional(fields.summarise),
    summary_model: Type.Optional(fields.summary_model),
    cron: Type.Optional(fields.cron),
    timezone: Type.Optional(fields.timezone),
    interval_ms: Type.Optional(fields.interval_ms),
    missed_policy: Type.Optional(fields.missed_policy),
  },
  { additionalProperties: false },
);
export type CreateSavedSearchRequest = Static<typeof CreateSavedSearchRequest>;

export const UpdateSavedSearchRequest = Type.Object(
  {
    name: Type.Optional(fields.name),
    query: Type.Optional(fields.query),
    provider: Type.Optional(fields.provider),
    language: Type.Optional(fields.language),
    time_range: Type.Optional(fields.time_range),
    sites: Type.Optional(fields.sites),
    channels: Type.Optional(fields.channels),
    summarise: Type.Optional(fields.summarise),
    summary_model: Type.Optional(fields.summary_model),
    cron: Type.Optional(fields.cron),
    timezone: Type.Optional(fields.timezone),
    interval_ms: Type.Optional(fields.interval_ms),
    missed_policy: Type.Optional(fields.missed_policy),
    paused: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdateSavedSearchRequest = Static<typeof UpdateSavedSearchRequest>;

export const SavedSearchResult = Type.Object({
  title: Type.String(),
  url: Type.String(),
  snippet: Type.String(),
  published_at: Type.Union([Timestamp, Type.Null()]),
  found_at: Timestamp,
});
export type SavedSearchResult = Static<typeof SavedSearchResult>;

export const SavedSearchRun = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  ran_at: Timestamp,
  total_results: Type.Integer(),
  new_results: Type.Integer(),
  summary: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([
    Type.Object({ code: Type.Union([Type.String(), Type.Null()]), message: Type.String() }),
    Type.Null(),
  ]),
  results: Type.Array(SavedSearchResult, { description: 'The results this run found first (new then)' }),
});
export type SavedSearchRun = Static<typeof SavedSearchRun>;

export const SavedSearchRunList = Type.Object({ runs: Type.Array(SavedSearchRun) });
export type SavedSearchRunList = Static<typeof SavedSearchRunList>;
