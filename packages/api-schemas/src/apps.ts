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
  /** The project whose app it is (offered only within it); null: a global app. */
  project_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type AppSummary = Static<typeof AppSummary>;

export const AppList = Type.Object({ apps: Type.Array(AppSummary) });
export type AppList = Static<typeof AppList>;

/** GET /api/apps: `project` adds that project's own apps (for its chats' picker); members only. */
export const AppListQuery = Type.Object({ project: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) });
export type AppListQuery = Static<typeof AppListQuery>;

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

const EnvironmentName = Type.Union([Type.Literal('prod'), Type.Literal('dev')]);
const RoleName = Type.Union([Type.Literal('admin'), Type.Literal('user')]);

/** An app as admins see it (GET /v1/admin/apps): where it is enabled, whether it answers, its limits. */
export const AdminAppSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  kind: AppKind,
  environments: Type.Array(EnvironmentName),
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  error: Type.Optional(Type.String()),
  skills: Type.Array(Type.String()),
  timeout_ms: Type.Integer(),
  max_output_bytes: Type.Integer(),
  /** builtin: runs in Switchyard; config: the config file's; admin: made through this API. */
  source: Type.Union([Type.Literal('builtin'), Type.Literal('config'), Type.Literal('admin')]),
  /** A disabled app is not found for anyone but admins. */
  enabled: Type.Boolean(),
  /** The user roles that may use it; null: everyone. */
  roles: Type.Union([Type.Array(RoleName), Type.Null()]),
  /** Admin apps: the MCP endpoint (query values hidden). */
  url: Type.Optional(Type.String()),
  /** Admin http apps: the base URL (query values hidden). */
  base_url: Type.Optional(Type.String()),
  /** Admin apps: the names of the headers sent (their values are never shown). */
  header_names: Type.Optional(Type.Array(Type.String())),
  /** Admin http apps: whether a signing secret is stored (it is never shown). */
  has_secret: Type.Optional(Type.Boolean()),
  /** A project's app (its admins added it): offered only within the project. */
  project_id: Type.Optional(Type.String()),
});
export type AdminAppSummary = Static<typeof AdminAppSummary>;

export const AdminAppList = Type.Object({ apps: Type.Array(AdminAppSummary) });
export type AdminAppList = Static<typeof AdminAppList>;

const appFields = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'mcp: the Streamable HTTP endpoint' })),
  base_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'http: where the app is' })),
  headers: Type.Optional(
    Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$" }), Type.String({ maxLength: 4096 }), {
      maxProperties: 32,
      description: 'Sent with every request to the app; stored, never shown back',
    }),
  ),
  environments: Type.Optional(Type.Array(EnvironmentName, { minItems: 1, uniqueItems: true })),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
  max_output_bytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 * 1024 * 1024 })),
  roles: Type.Optional(
    Type.Union([Type.Array(RoleName, { minItems: 1, uniqueItems: true }), Type.Null()], {
      description: 'User roles that may use the app; null or absent: everyone',
    }),
  ),
};

/**
 * POST /v1/admin/apps. MCP apps are reached by URL only: an API that starts a `command` would be remote
 * code execution, so stdio apps come from the config file alone.
 */
export const CreateAppRequest = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }),
    type: Type.Union([Type.Literal('mcp'), Type.Literal('http')]),
    ...appFields,
    secret: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'http: the signing key; stored, never shown back' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateAppRequest = Static<typeof CreateAppRequest>;

/** PATCH /v1/admin/apps/{id}: config and built-in apps take only enabled, environments and roles. */
export const UpdateAppRequest = Type.Object(
  {
    ...appFields,
    secret: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Null()], { description: 'null removes it' }),
    ),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdateAppRequest = Static<typeof UpdateAppRequest>;

export const AdminAppParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const AdminSkillTestParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  skill: Type.String({ minLength: 1, maxLength: 128 }),
});

/** GET /v1/admin/apps/{id}/health: one round trip to the app, timed. */
export const AppHealth = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  latency_ms: Type.Number(),
  skills: Type.Integer(),
  error: Type.Optional(Type.String()),
});
export type AppHealth = Static<typeof AppHealth>;

/** The fields a project's admin sets on its app, on creation and on change (the admin's own app fields). */
const projectAppFields = {
  name: appFields.name,
  description: appFields.description,
  url: appFields.url,
  base_url: appFields.base_url,
  headers: appFields.headers,
  timeout_ms: appFields.timeout_ms,
  max_output_bytes: appFields.max_output_bytes,
};

/**
 * POST /api/apps: a project's admin adds an app to the project (by URL, as admins do; never a `command`).
 * No roles or environments: every member may use it, in both environments.
 */
export const CreateProjectAppRequest = Type.Object(
  {
    projectId: Type.String({ minLength: 1, maxLength: 64 }),
    id: CreateAppRequest.properties.id,
    type: CreateAppRequest.properties.type,
    ...projectAppFields,
    secret: CreateAppRequest.properties.secret,
  },
  { additionalProperties: false },
);
export type CreateProjectAppRequest = Static<typeof CreateProjectAppRequest>;

/** A project's app as its members see it (GET /api/apps/{id}); header values and the secret are never shown. */
export const ProjectApp = Type.Object({
  id: Type.String(),
  type: Type.Union([Type.Literal('mcp'), Type.Literal('http')]),
  name: Type.String(),
  description: Type.String(),
  projectId: Type.String(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  /** mcp: the endpoint (query values hidden). */
  url: Type.Optional(Type.String()),
  /** http: the base URL (query values hidden). */
  base_url: Type.Optional(Type.String()),
  header_names: Type.Array(Type.String()),
  has_secret: Type.Boolean(),
  /** false: its admins switched it off; it is offered nowhere until switched on again. */
  enabled: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
});
export type ProjectApp = Static<typeof ProjectApp>;

/** GET /api/projects/{projectId}/apps: every app of the project, switched off ones too (members). */
export const ProjectAppList = Type.Object({ apps: Type.Array(ProjectApp) });
export type ProjectAppList = Static<typeof ProjectAppList>;

export const ProjectAppListParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * PATCH /api/apps/{id}: a project's admin changes its app. The fields POST takes, checked by the same rules
 * (an mcp app keeps url, an http app base_url; the type and project stay). `headers` replaces the headers
 * sent; `secret: null` removes the http app's secret. Secrets and header values are never shown back.
 */
export const UpdateProjectAppRequest = Type.Object(
  {
    ...projectAppFields,
    secret: UpdateAppRequest.properties.secret,
    enabled: UpdateAppRequest.properties.enabled,
  },
  { additionalProperties: false },
);
export type UpdateProjectAppRequest = Static<typeof UpdateProjectAppRequest>;

export const ProjectAppParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
