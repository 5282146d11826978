import Type, { type Static } from 'typebox';

/** Apps and their skills (GET /v1/apps) and calling a skill (POST /v1/apps/{app}/skills/{skill}). */

export const Skill = Type.Object({
  name: Type.String(),
  description: Type.String(),
  input_schema: Type.Record(Type.String(), Type.Unknown()),
});
export type Skill = Static<typeof Skill>;

export const AppKind = Type.Union([Type.Literal('builtin'), Type.Literal('mcp'), Type.Literal('http')]);

export const FocusMode = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  /** Null: every skill of the app. */
  skills: Type.Union([Type.Array(Type.String()), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
});
export type FocusMode = Static<typeof FocusMode>;

export const AppSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  kind: AppKind,
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  error: Type.Optional(Type.String()),
  skills: Type.Array(Skill),
  focus_modes: Type.Array(FocusMode),
});
export type AppSummary = Static<typeof AppSummary>;

export const AppList = Type.Object({ apps: Type.Array(AppSummary) });
export type AppList = Static<typeof AppList>;

export const SkillCallRequest = Type.Object(
  {
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    async: Type.Optional(
      Type.Boolean({ description: 'true: run as a job; answered 202 with {job_id, status_url, events_url}' }),
    ),
  },
  { additionalProperties: false },
);
export type SkillCallRequest = Static<typeof SkillCallRequest>;

export const SkillCallResult = Type.Object({
  app: Type.String(),
  skill: Type.String(),
  output: Type.String(),
  is_error: Type.Boolean(),
  truncated: Type.Boolean(),
  duration_ms: Type.Number(),
});
export type SkillCallResult = Static<typeof SkillCallResult>;

export const SkillParams = Type.Object({
  app: Type.String({ minLength: 1, maxLength: 64 }),
  skill: Type.String({ minLength: 1, maxLength: 128 }),
});

/** An app as admins see it (GET /v1/admin/apps): where it is enabled, whether it answers, its limits. */
export const AdminAppSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: AppKind,
  environments: Type.Array(Type.Union([Type.Literal('prod'), Type.Literal('dev')])),
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  error: Type.Optional(Type.String()),
  skills: Type.Array(Type.String()),
  timeout_ms: Type.Integer(),
  max_output_bytes: Type.Integer(),
});
export type AdminAppSummary = Static<typeof AdminAppSummary>;

export const AdminAppList = Type.Object({ apps: Type.Array(AdminAppSummary) });
export type AdminAppList = Static<typeof AdminAppList>;
