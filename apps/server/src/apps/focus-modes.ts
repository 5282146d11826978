import type { AppRuntime, Environment, FocusModeDefinition, FocusModeEntry } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { ChatRequest } from '@switchyard/providers';
import { type AppAudience, type AppRegistry, everyone } from './app-registry';

/** Focus modes as the config file writes them, as apps offer them. */
export function focusModesOf(entries: readonly FocusModeEntry[] | undefined): readonly FocusModeDefinition[] {
  return (entries ?? []).map((mode) => ({
    id: mode.id,
    name: mode.name ?? mode.id,
    description: mode.description ?? '',
    systemPrompt: mode.systemPrompt,
    skills: mode.skills ?? null,
    model: mode.model ?? null,
  }));
}

/** The skills a chat may use: per app, all of its skills (null) or the listed ones. */
export interface SkillScope {
  readonly apps: ReadonlyArray<{ readonly id: string; readonly skills: readonly string[] | null }>;
}

/** What a chat's `apps` and `focus` come to: the skills, and what the focus mode adds. */
export interface SkillSelection extends SkillScope {
  readonly systemPrompt: string | null;
  readonly model: string | null;
  /** `<app>/<mode>` of the selected focus mode. */
  readonly focus: string | null;
  /** Who the apps were chosen for: the skill loop offers them to the same role and project. */
  readonly audience: AppAudience;
}

async function modesOf(app: AppRuntime): Promise<readonly FocusModeDefinition[]> {
  // An app that cannot be reached offers no modes now; naming one of its modes is then a 404.
  return app.focusModes().catch(() => []);
}

/**
 * Finds a focus mode: `<app>/<mode>`, or a bare `<mode>` when exactly one app the environment may
 * use offers it (two apps offering it is a 400 that names both ways to say which).
 */
export async function findFocusMode(
  registry: AppRegistry,
  environment: Environment,
  focus: string,
  audience: AppAudience = everyone,
): Promise<{ app: AppRuntime; mode: FocusModeDefinition }> {
  const slash = focus.indexOf('/');
  if (slash >= 0) {
    const app = registry.get(environment, focus.slice(0, slash), audience);
    const modeId = focus.slice(slash + 1);
    const mode = (await modesOf(app)).find((candidate) => candidate.id === modeId);
    if (!mode) throw new SwitchyardError('SY_ERR_FOCUS_NOT_FOUND', `App '${app.id}' has no focus mode '${modeId}'`);
    return { app, mode };
  }
  const apps = registry.list(environment, audience);
  const offered = await Promise.all(apps.map(modesOf));
  const found = apps.flatMap((app, index) =>
    (offered[index] ?? []).filter((mode) => mode.id === focus).map((mode) => ({ app, mode })),
  );
  const [first, second] = found;
  if (!first) throw new SwitchyardError('SY_ERR_FOCUS_NOT_FOUND', `No focus mode '${focus}' in ${environment}`);
  if (second) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `focus '${focus}' is offered by several apps: say '${first.app.id}/${focus}' or '${second.app.id}/${focus}'`,
    );
  }
  return first;
}

/**
 * A chat's `apps` and `focus` as one selection. Every app named must be one the environment may
 * use (404 otherwise, before anything is sent); a focus mode adds its app with its skills, its
 * system prompt and its preferred model.
 */
export async function selectSkills(
  registry: AppRegistry,
  environment: Environment,
  request: { readonly apps?: readonly string[] | undefined; readonly focus?: string | undefined },
  audience: AppAudience = everyone,
): Promise<SkillSelection> {
  const apps = new Map<string, readonly string[] | null>();
  for (const id of request.apps ?? []) apps.set(registry.get(environment, id, audience).id, null);
  if (!request.focus)
    return {
      apps: [...apps].map(([id, skills]) => ({ id, skills })),
      systemPrompt: null,
      model: null,
      focus: null,
      audience,
    };
  const { app, mode } = await findFocusMode(registry, environment, request.focus, audience);
  // Naming the app in `apps` too opens all of its skills; otherwise the mode's set applies.
  if (!apps.has(app.id)) apps.set(app.id, mode.skills);
  return {
    apps: [...apps].map(([id, skills]) => ({ id, skills })),
    systemPrompt: mode.systemPrompt,
    model: mode.model,
    focus: `${app.id}/${mode.id}`,
    audience,
  };
}

/** The request with the focus mode's system prompt first (before the client's own system prompt). */
export function withFocusPrompt(request: ChatRequest, selection: SkillSelection): ChatRequest {
  if (!selection.systemPrompt) return request;
  return { ...request, messages: [{ role: 'system', content: selection.systemPrompt }, ...request.messages] };
}
