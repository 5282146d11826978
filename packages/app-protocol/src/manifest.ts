import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';

/** Skill names and ids as they appear in URLs and model tool names. */
const skillName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const identifier = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' });

export const ManifestSkillSchema = Type.Object({
  name: skillName,
  description: Type.String({ maxLength: 4000 }),
  /** JSON Schema of the input object. */
  input_schema: Type.Record(Type.String(), Type.Unknown()),
});

export const ManifestFocusModeSchema = Type.Object({
  id: identifier,
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  system_prompt: Type.String({ minLength: 1, maxLength: 20_000 }),
  /** The app's skills the mode may use; default all. */
  skills: Type.Optional(Type.Array(skillName, { minItems: 1, uniqueItems: true })),
  /** The model a request without one uses. */
  model: Type.Optional(Type.String({ minLength: 1 })),
});

/** What `GET {baseURL}/manifest` answers. Fields not named here are ignored (newer apps may send more). */
export const ManifestSchema = Type.Object({
  id: Type.Optional(identifier),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  version: Type.String({ minLength: 1, maxLength: 64 }),
  skills: Type.Array(ManifestSkillSchema, { maxItems: 256 }),
  focus_modes: Type.Optional(Type.Array(ManifestFocusModeSchema, { maxItems: 32 })),
});

export type Manifest = Static<typeof ManifestSchema>;
export type ManifestSkill = Static<typeof ManifestSkillSchema>;
export type ManifestFocusMode = Static<typeof ManifestFocusModeSchema>;

/** The body of `POST {baseURL}/skills/{name}`. */
export const SkillCallBodySchema = Type.Object({
  input: Type.Record(Type.String(), Type.Unknown()),
  environment: Type.Union([Type.Literal('prod'), Type.Literal('dev')]),
  /** Who asks (`key:<id>`, `user:<id>`, `ip:<address>`), never their credentials. */
  caller: Type.Object({
    kind: Type.Union([Type.Literal('key'), Type.Literal('user'), Type.Literal('anonymous')]),
    subject: Type.String(),
  }),
  /** Unique per call: for the app's logs, and to recognise a call it has seen. */
  request_id: Type.String({ minLength: 1, maxLength: 200 }),
});
export type SkillCallBody = Static<typeof SkillCallBodySchema>;

/** A skill's answer (JSON, or the data of the SSE `result` event). */
export const SkillAnswerSchema = Type.Object({
  output: Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown()), Type.Array(Type.Unknown())]),
  /** The call worked, the skill's work did not: the output says why. */
  is_error: Type.Optional(Type.Boolean()),
});
export type SkillAnswer = Static<typeof SkillAnswerSchema>;

/** The data of the SSE `progress` event. */
export const SkillProgressSchema = Type.Object({
  message: Type.String({ maxLength: 1000 }),
  fraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
});
export type SkillProgressEvent = Static<typeof SkillProgressSchema>;

/** An error answer (JSON with a 4xx/5xx status, or the data of the SSE `error` event). */
export const AppErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
export type AppError = Static<typeof AppErrorSchema>;

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Checks a value against a schema; the reason names the first few wrong fields. */
export function check<T extends TSchema>(schema: T, value: unknown): Checked<Static<T>> {
  if (Value.Check(schema, value)) return { ok: true, value: value as Static<T> };
  const reason = Value.Errors(schema, value)
    .slice(0, 3)
    .map((error) => `${error.instancePath || '/'} ${error.message}`)
    .join('; ');
  return { ok: false, reason };
}

/** A manifest's shape plus what a schema cannot say: names unique, focus modes naming real skills. */
export function checkManifest(value: unknown): Checked<Manifest> {
  const checked = check(ManifestSchema, value);
  if (!checked.ok) return checked;
  const manifest = checked.value;
  const skills = new Set<string>();
  for (const skill of manifest.skills) {
    if (skills.has(skill.name)) return { ok: false, reason: `skill '${skill.name}' appears twice` };
    skills.add(skill.name);
  }
  const modes = new Set<string>();
  for (const mode of manifest.focus_modes ?? []) {
    if (modes.has(mode.id)) return { ok: false, reason: `focus mode '${mode.id}' appears twice` };
    modes.add(mode.id);
    const unknown = (mode.skills ?? []).find((name) => !skills.has(name));
    if (unknown) return { ok: false, reason: `focus mode '${mode.id}' names unknown skill '${unknown}'` };
  }
  return checked;
}
