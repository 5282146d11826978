import Type, { type Static } from 'typebox';

const Environment = Type.Union([Type.Literal('prod'), Type.Literal('dev')]);
const MissedPolicy = Type.Union([Type.Literal('skip'), Type.Literal('run_once')], {
  description: 'Ticks missed while nothing ran (downtime): skip them, or run once for all of them',
});
const Timestamp = Type.String({ format: 'date-time' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Cron = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Cron expression: 5 fields, or 6 with seconds first, read in `timezone`',
});
const TimeZone = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of `cron`; default UTC' });
const IntervalMs = Type.Integer({ minimum: 1_000, description: 'Fixed interval in milliseconds, instead of `cron`' });
const Payload = Type.Record(Type.String(), Type.Unknown(), {
  description: "The job's payload, checked against its schema",
});

export const ScheduleRun = Type.Object({
  tick_at: Timestamp,
  fired_at: Timestamp,
  manual: Type.Boolean({ description: 'Started with run-now' }),
  late_ms: Type.Integer({ description: 'How long after its tick the run fired' }),
  outcome: Type.Union([Type.Literal('enqueued'), Type.Literal('skipped'), Type.Literal('failed')]),
  job_id: Type.Union([Type.String(), Type.Null()]),
  job_status: Type.Union([
    Type.Literal('waiting'),
    Type.Literal('delayed'),
    Type.Literal('active'),
    Type.Literal('completed'),
    Type.Literal('dead'),
    Type.Null(),
  ]),
  error: Type.Union([
    Type.Object({ code: Type.Union([Type.String(), Type.Null()]), message: Type.String() }),
    Type.Null(),
  ]),
});
export type ScheduleRun = Static<typeof ScheduleRun>;

export const Schedule = Type.Object({
  id: Type.String(),
  name: Type.String(),
  environment: Environment,
  origin: Type.Union([Type.Literal('system'), Type.Literal('admin'), Type.Literal('search')]),
  job: Type.String(),
  payload: Type.Unknown(),
  cron: Type.Union([Type.String(), Type.Null()]),
  timezone: Type.Union([Type.String(), Type.Null()]),
  interval_ms: Type.Union([Type.Integer(), Type.Null()]),
  missed_policy: MissedPolicy,
  paused: Type.Boolean(),
  next_run_at: Type.Union([Timestamp, Type.Null()]),
  last_run: Type.Union([ScheduleRun, Type.Null()]),
  runs: Type.Integer(),
  failures: Type.Integer({ description: 'Runs not queued, or whose job went to the dead-letter queue' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Schedule = Static<typeof Schedule>;

export const ScheduleList = Type.Object({ schedules: Type.Array(Schedule) });
export type ScheduleList = Static<typeof ScheduleList>;

export const ScheduleRunList = Type.Object({ runs: Type.Array(ScheduleRun) });
export type ScheduleRunList = Static<typeof ScheduleRunList>;

export const ScheduleListQuery = Type.Object({ environment: Type.Optional(Environment) });

export const CreateScheduleRequest = Type.Object(
  {
    name: Name,
    environment: Environment,
    job: Type.String({ minLength: 1, maxLength: 100, description: 'A job of the catalog' }),
    payload: Payload,
    cron: Type.Optional(Cron),
    timezone: Type.Optional(TimeZone),
    interval_ms: Type.Optional(IntervalMs),
    missed_policy: Type.Optional(MissedPolicy),
    paused: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateScheduleRequest = Static<typeof CreateScheduleRequest>;

export const UpdateScheduleRequest = Type.Object(
  {
    name: Type.Optional(Name),
    payload: Type.Optional(Payload),
    cron: Type.Optional(Cron),
    timezone: Type.Optional(TimeZone),
    interval_ms: Type.Optional(IntervalMs),
    missed_policy: Type.Optional(MissedPolicy),
  },
  { additionalProperties: false },
);
export type UpdateScheduleRequest = Static<typeof UpdateScheduleRequest>;
