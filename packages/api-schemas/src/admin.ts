import Type, { type Static } from 'typebox';
import { deadJobPage, pageQueryFields } from './common';

// Settings

export const SettingValue = Type.Union([Type.Number(), Type.Boolean(), Type.String()]);
export type SettingValue = Static<typeof SettingValue>;

export const Setting = Type.Object({
  key: Type.String(),
  value: SettingValue,
  type: Type.String(),
  description: Type.String(),
  default: SettingValue,
  minimum: Type.Optional(Type.Number()),
  maximum: Type.Optional(Type.Number()),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
});
export type Setting = Static<typeof Setting>;

export const SettingList = Type.Object({ settings: Type.Array(Setting) });
export type SettingList = Static<typeof SettingList>;

export const SettingParams = Type.Object({ key: Type.String() });
export const SetSettingRequest = Type.Object(
  { value: Type.Unknown() },
  { required: ['value'], additionalProperties: false },
);
export type SetSettingRequest = Static<typeof SetSettingRequest>;

// Usage dashboard

const stats = {
  requests: Type.Number(),
  tokens: Type.Number({ description: 'prompt_tokens + completion_tokens' }),
  prompt_tokens: Type.Number(),
  completion_tokens: Type.Number(),
  errors: Type.Number({ description: 'Responses with status 400 or above (refusals, rate limits, upstream failures)' }),
  server_errors: Type.Number({ description: 'Responses with status 500 or above' }),
  error_rate: Type.Number({ description: 'errors / requests, 0 to 1' }),
  latency_p50_ms: Type.Union([Type.Number(), Type.Null()]),
  latency_p95_ms: Type.Union([Type.Number(), Type.Null()]),
  latency_p99_ms: Type.Union([Type.Number(), Type.Null()]),
  cost_usd: Type.Number({ description: 'US dollars, by the price table (`prices:` in the config file)' }),
};
export const UsageStats = Type.Object(stats, { description: 'The whole window (narrowed by model)' });
export type UsageStats = Static<typeof UsageStats>;

export const UsageQuery = Type.Object(
  {
    environment: Type.Optional(
      Type.Union([Type.Literal('prod'), Type.Literal('dev')], {
        description: "Default: the caller's own (prod, dev for a dev admin key); another is refused with 403",
      }),
    ),
    since: Type.Optional(Type.String({ description: 'ISO timestamp; defaults to 24 hours ago' })),
    bucket: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour')])),
    model: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Only this model in buckets and totals' }),
    ),
  },
  { additionalProperties: false },
);
export type UsageQuery = Static<typeof UsageQuery>;

export const UsageResponse = Type.Object({
  environment: Type.String(),
  since: Type.String(),
  bucket: Type.String(),
  model: Type.Union([Type.String(), Type.Null()], { description: "The 'model' filter, null for every model" }),
  buckets: Type.Array(Type.Object({ start: Type.String(), ...stats }), {
    description: 'Only buckets with requests, oldest first (narrowed by model)',
  }),
  models: Type.Array(
    Type.Object({
      model: Type.Union([Type.String(), Type.Null()]),
      provider: Type.Union([Type.String(), Type.Null()], { description: 'The provider the model routes to now' }),
      ...stats,
    }),
    {
      description:
        "Every model with requests in the window, busiest first (not narrowed by 'model', so it lists the choices)",
    },
  ),
  providers: Type.Array(Type.Object({ provider: Type.String(), models: Type.Array(Type.String()), ...stats }), {
    description: 'Traffic per configured provider, idle ones included (not narrowed by model)',
  }),
  totals: UsageStats,
  database_state: Type.Optional(
    Type.Literal('not opened', {
      description:
        "Present when the environment's database (embedded mode's dev database) was never opened: the figures are zero, read without opening it",
    }),
  ),
});
export type UsageResponse = Static<typeof UsageResponse>;

// Jobs

export const DeadJobsQuery = Type.Object({
  name: Type.Optional(Type.String()),
  ...pageQueryFields(deadJobPage),
});
export type DeadJobsQuery = Static<typeof DeadJobsQuery>;

export const JobError = Type.Object({
  message: Type.String(),
  code: Type.Union([Type.String(), Type.Null()], { description: 'A stable SY_ERR_* code when the failure had one' }),
});
export type JobError = Static<typeof JobError>;

const jobCounts = {
  waiting: Type.Integer(),
  delayed: Type.Integer(),
  active: Type.Integer(),
  completed: Type.Integer(),
  dead: Type.Integer(),
};
export const JobCounts = Type.Object(jobCounts);
export type JobCounts = Static<typeof JobCounts>;

/** GET /v1/admin/jobs (documentation and the web's type; the route does not filter it). */
export const AdminJobStats = Type.Object({
  ...jobCounts,
  backend: Type.String(),
  byName: Type.Record(Type.String(), JobCounts),
  rates: Type.Object({ completedPerMinute: Type.Number(), deadPerMinute: Type.Number() }),
  workers: Type.Array(
    Type.Object({
      worker_id: Type.String(),
      names: Type.Array(Type.String()),
      active: Type.Integer(),
      started_at: Type.String(),
      last_seen_at: Type.String(),
    }),
  ),
});
export type AdminJobStats = Static<typeof AdminJobStats>;

/** A job as the admin API shows it (documentation and the web's type; the routes do not filter it). */
export const AdminJob = Type.Object({
  id: Type.String(),
  name: Type.String(),
  environment: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  run_at: Type.String(),
  last_error: Type.Union([JobError, Type.Null()]),
  result: Type.Unknown(),
  progress: Type.Unknown(),
  payload: Type.Unknown(),
  created_at: Type.String(),
  updated_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
});
export type AdminJob = Static<typeof AdminJob>;

// Operations

export const Health = Type.Object({ status: Type.Literal('ok') });

export const LimitStatus = Type.Object({
  limit: Type.Integer({ description: 'Requests per minute' }),
  remaining: Type.Integer(),
  reset_seconds: Type.Integer({ description: 'Seconds until the current window ends' }),
});

export const KeyStatus = Type.Object({
  environment: Type.String(),
  key: Type.Object({ id: Type.String(), name: Type.String(), prefix: Type.String(), admin: Type.Boolean() }),
  limits: Type.Object({ chat: LimitStatus, image: LimitStatus }),
  quotas: Type.Object({ image_per_day: Type.Integer() }),
  mode: Type.String(),
});
export type KeyStatus = Static<typeof KeyStatus>;
