import Type, { type Static } from 'typebox';
import { type PageRule, pageFields, pageQueryFields } from './common';

/** Usage rows of skill calls (GET /v1/admin/usage/skills) and async skill calls (jobs). */

export const skillCallPage: PageRule = { defaultLimit: 100, maximum: 1000 };

const SkillCallStatus = Type.Union(
  ['ok', 'error', 'invalid', 'not_found', 'timeout', 'unavailable', 'aborted'].map((status) => Type.Literal(status)),
  {
    description:
      'ok; error (the skill reported a failure); invalid (input refused); not_found (no such skill); timeout; ' +
      'unavailable (the app did not answer); aborted (the caller left)',
  },
);

export const SkillCallsQuery = Type.Object(
  {
    environment: Type.Optional(
      Type.Union([Type.Literal('prod'), Type.Literal('dev')], {
        description: "Default: the caller's own (prod, dev for a dev admin key); another is refused with 403",
      }),
    ),
    since: Type.Optional(Type.String({ description: 'ISO timestamp; defaults to 24 hours ago' })),
    app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only this app' })),
    skill: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only this skill' })),
    status: Type.Optional(SkillCallStatus),
    api_key_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only calls with this key' })),
    ...pageQueryFields(skillCallPage),
  },
  { additionalProperties: false },
);
export type SkillCallsQuery = Static<typeof SkillCallsQuery>;

export const SkillCallRow = Type.Object({
  id: Type.Number(),
  app: Type.String(),
  skill: Type.String(),
  via: Type.Union([Type.Literal('api'), Type.Literal('chat'), Type.Literal('mcp'), Type.Literal('job')], {
    description: 'The direct API, a chat with apps, the /mcp endpoint, or an async call (job)',
  }),
  status: SkillCallStatus,
  error_code: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Number(),
  caller: Type.String({ description: '`key:<id>`, `user:<id>` or `ip:<address>`' }),
  api_key_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
});
export type SkillCallRow = Static<typeof SkillCallRow>;

export const SkillCallsResponse = Type.Object({
  environment: Type.String(),
  since: Type.String(),
  skills: Type.Array(
    Type.Object({
      app: Type.String(),
      skill: Type.String(),
      calls: Type.Integer(),
      failures: Type.Integer({ description: 'Calls that did not end ok' }),
      duration_p50_ms: Type.Union([Type.Number(), Type.Null()]),
      duration_p95_ms: Type.Union([Type.Number(), Type.Null()]),
    }),
    { description: 'Per app and skill in the window (narrowed by the filters), most called first' },
  ),
  calls: Type.Array(SkillCallRow, { description: 'The calls themselves, newest first, one page' }),
  ...pageFields,
});
export type SkillCallsResponse = Static<typeof SkillCallsResponse>;

const SkillJobStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
]);

/** 202 to `POST /v1/apps/{app}/skills/{skill}` with `"async": true`. */
export const SkillJobAccepted = Type.Object({
  job_id: Type.String(),
  status: SkillJobStatus,
  status_url: Type.String({ description: 'GET it for the status and, once completed, the result' }),
  events_url: Type.String({ description: 'Server-sent events: status, progress, retrying, completed or failed' }),
});
export type SkillJobAccepted = Static<typeof SkillJobAccepted>;

/** An async skill call (GET /v1/skills/jobs/{id}). */
export const SkillJob = Type.Object({
  id: Type.String(),
  object: Type.Literal('skill.job'),
  status: SkillJobStatus,
  app: Type.String(),
  skill: Type.String(),
  environment: Type.String(),
  attempts: Type.Integer(),
  progress: Type.Optional(Type.Unknown({ description: 'The latest {message, fraction?} the skill reported' })),
  result: Type.Optional(
    Type.Unknown({ description: 'Once completed: what a direct call answers ({output, is_error, truncated, ...})' }),
  ),
  error: Type.Optional(Type.Object({ code: Type.Union([Type.String(), Type.Null()]), message: Type.String() })),
  created_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  status_url: Type.String(),
  events_url: Type.String(),
});
export type SkillJob = Static<typeof SkillJob>;

export const SkillJobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
