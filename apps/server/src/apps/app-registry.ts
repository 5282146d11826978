import type {
  AppEntry,
  AppRuntime,
  Environment,
  SkillCall,
  SkillDefinition,
  SkillResult,
  UserRole,
} from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { SkillCallOrigin } from '@switchyard/db';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Metrics } from '../infrastructure/metrics';
import { createHttpApp } from './http-app';
import { createMcpApp } from './mcp-app';

/** Where an app comes from: built in, the config file, or an admin at run time (stored in the prod database). */
export type AppSource = 'builtin' | 'config' | 'admin';

/** What admins decide about an app, on top of its definition. */
export interface AppAccess {
  readonly enabled: boolean;
  readonly environments: readonly Environment[];
  /** The user roles that may use it; null: everyone. */
  readonly roles: readonly UserRole[] | null;
  /** The project whose admins added it: offered only within that project. Null: a global app. */
  readonly projectId: string | null;
}

/**
 * Who an app is offered to: the caller's user role (see appRoleOf; null: only apps open to everyone) and the
 * project the request is made within (a project key's, a project chat's), whose own apps it adds.
 */
export interface AppAudience {
  readonly role: UserRole | null;
  readonly projectId: string | null;
}

/** An anonymous caller outside any project: the apps open to everyone. */
export const everyone: AppAudience = { role: null, projectId: null };

export interface RegisteredApp extends AppAccess {
  readonly runtime: AppRuntime;
  readonly source: AppSource;
}

/**
 * The apps this process runs: built-in ones, the config file's, and those admins made at run time,
 * each enabled per environment and per user role. Admin changes arrive through `upsert`, `remove`
 * and `setAccess` (on every process: see app-admin.ts).
 */
export interface AppRegistry {
  /**
   * The apps an environment may use, for an audience (a role and a project; see AppAudience). Disabled apps
   * and other projects' apps are not listed.
   */
  list(environment: Environment, audience?: AppAudience): readonly AppRuntime[];
  /** Every app, whatever its environments (administration). */
  all(): readonly AppRuntime[];
  /**
   * An app the environment (and audience, see `list`) may use; 404 SY_ERR_APP_NOT_FOUND otherwise: also when
   * it is disabled, not enabled there, not open to the role, or another project's.
   */
  get(environment: Environment, id: string, audience?: AppAudience): AppRuntime;
  /** Every app with its source and access (administration). */
  entries(): readonly RegisteredApp[];
  entry(id: string): RegisteredApp | undefined;
  /** Adds or replaces an admin-made app; a replaced runtime is closed (its MCP connection ends). */
  upsert(runtime: AppRuntime, access: AppAccess): Promise<void>;
  /** Removes an admin-made app and closes it. */
  remove(id: string): Promise<void>;
  /** Overrides a built-in or config app's access; null goes back to its defaults. */
  setAccess(id: string, access: AppAccess | null): void;
  /** Checks the input against the skill's schema, runs it within the app's timeout, counts it. */
  run(app: AppRuntime, skill: string, call: SkillRun): Promise<SkillOutcome>;
  close(): Promise<void>;
}

/** A skill call as callers hand it in: the deadline is the registry's, the origin names the path (usage rows). */
export type SkillRun = Omit<SkillCall, 'signal'> & { signal?: AbortSignal; via?: SkillCallOrigin };

export interface SkillOutcome extends SkillResult {
  readonly app: string;
  readonly skill: string;
  readonly durationMs: number;
}

/** A skill call's outcome as the API answers it (direct calls, admin tests, async jobs' results). */
export function skillCallBody(outcome: SkillOutcome) {
  return {
    app: outcome.app,
    skill: outcome.skill,
    output: outcome.text,
    is_error: outcome.isError,
    truncated: outcome.truncated,
    duration_ms: Math.round(outcome.durationMs * 100) / 100,
  };
}

export interface AppRegistryDependencies {
  /** Apps from the config file. */
  readonly apps: readonly AppEntry[];
  /** Apps that run in-process (web, images, files), made by the composition root. */
  readonly builtins?: readonly AppRuntime[];
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'skillCalls' | 'skillDuration'>;
}

/** The runtime of an app definition, by its type (config file or admin API); `dispatcher`: where it connects. */
export function createAppRuntime(
  entry: AppEntry,
  logger: Logger,
  options: { dispatcher?: Dispatcher } = {},
): AppRuntime {
  switch (entry.type) {
    case 'http':
      return createHttpApp(entry, logger, options);
    case 'mcp':
      return createMcpApp(entry, logger, options);
  }
}

const roleAllows = (role: UserRole | null, roles: readonly UserRole[] | null) =>
  roles === null || (role !== null && roles.includes(role));

export function createAppRegistry({ apps, builtins = [], logger, metrics }: AppRegistryDependencies): AppRegistry {
  const defaultAccess = (runtime: AppRuntime): AppAccess => ({
    enabled: true,
    environments: runtime.environments,
    roles: null,
    projectId: null,
  });
  const registered = new Map<string, RegisteredApp>([
    ...builtins.map(
      (runtime) => [runtime.id, { runtime, source: 'builtin' as const, ...defaultAccess(runtime) }] as const,
    ),
    ...apps.map((entry) => {
      const runtime = createAppRuntime(entry, logger);
      return [entry.id, { runtime, source: 'config' as const, ...defaultAccess(runtime) }] as const;
    }),
  ]);
  const usable = (app: RegisteredApp, environment: Environment, audience: AppAudience) =>
    app.enabled &&
    app.environments.includes(environment) &&
    roleAllows(audience.role, app.roles) &&
    (app.projectId === null || app.projectId === audience.projectId);
  // Schemas change only when an app announces new tools: compile each once (by identity).
  const ajv = new Ajv({ allErrors: false, strict: false });
  const validators = new WeakMap<object, ValidateFunction>();

  function validatorOf(definition: SkillDefinition): ValidateFunction {
    let validate = validators.get(definition.inputSchema);
    if (!validate) {
      try {
        validate = ajv.compile(definition.inputSchema);
      } catch {
        // A schema ajv cannot compile is the app's problem: pass the input through, the app checks it.
        validate = Object.assign(() => true, { errors: null }) as unknown as ValidateFunction;
      }
      validators.set(definition.inputSchema, validate);
    }
    return validate;
  }

  const registry: AppRegistry = {
    list: (environment, audience = everyone) =>
      [...registered.values()].filter((app) => usable(app, environment, audience)).map((app) => app.runtime),
    all: () => [...registered.values()].map((app) => app.runtime),
    get(environment, id, audience = everyone) {
      const app = registered.get(id);
      if (!app || !usable(app, environment, audience)) {
        throw new SwitchyardError('SY_ERR_APP_NOT_FOUND', `No app '${id}' in ${environment}`);
      }
      return app.runtime;
    },
    entries: () => [...registered.values()],
    entry: (id) => registered.get(id),
    async upsert(runtime, access) {
      const previous = registered.get(runtime.id);
      if (previous && previous.source !== 'admin') {
        throw new SwitchyardError('SY_ERR_CONFLICT', `App '${runtime.id}' is a ${previous.source} app`);
      }
      registered.set(runtime.id, { runtime, source: 'admin', ...access });
      if (previous && previous.runtime !== runtime) {
        logger.info({ app: runtime.id }, 'app replaced');
        await previous.runtime.close().catch(() => {});
      }
    },
    async remove(id) {
      const previous = registered.get(id);
      if (previous?.source !== 'admin') return;
      registered.delete(id);
      logger.info({ app: id }, 'app removed');
      await previous.runtime.close().catch(() => {});
    },
    setAccess(id, access) {
      const app = registered.get(id);
      if (!app || app.source === 'admin') return;
      registered.set(id, { runtime: app.runtime, source: app.source, ...(access ?? defaultAccess(app.runtime)) });
    },
    async run(app, skill, call) {
      const count = (outcome: string) =>
        metrics.skillCalls.inc({ environment: call.environment, app: app.id, skill, outcome });
      let definition: SkillDefinition | undefined;
      try {
        definition = (await app.skills()).find((candidate) => candidate.name === skill);
      } catch (error) {
        count('unavailable');
        throw error;
      }
      if (!definition) {
        count('invalid');
        throw new SwitchyardError('SY_ERR_SKILL_NOT_FOUND', `App '${app.id}' has no skill '${skill}'`);
      }
      const validate = validatorOf(definition);
      if (!validate(call.input)) {
        count('invalid');
        const first = validate.errors?.[0];
        const field = first?.instancePath ? `input${first.instancePath.replaceAll('/', '.')}` : 'input';
        const detail =
          first?.keyword === 'required'
            ? `needs '${String(first.params.missingProperty)}'`
            : (first?.message ?? 'is invalid');
        throw new SwitchyardError('SY_ERR_VALIDATION', `${field} ${detail}`);
      }
      const deadline = AbortSignal.timeout(app.timeoutMs);
      const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
      const started = performance.now();
      try {
        const { via: _via, ...skillCall } = call;
        const result = await app.invoke(skill, { ...skillCall, signal });
        const durationMs = performance.now() - started;
        metrics.skillDuration.observe({ app: app.id, skill }, durationMs / 1000);
        count(result.isError ? 'error' : 'ok');
        return { ...result, app: app.id, skill, durationMs };
      } catch (error) {
        if (deadline.aborted) {
          count('timeout');
          throw new SwitchyardError(
            'SY_ERR_SKILL_TIMEOUT',
            `App '${app.id}' did not answer '${skill}' within ${app.timeoutMs} ms`,
            { cause: error },
          );
        }
        count(call.signal?.aborted ? 'aborted' : 'unavailable');
        throw error;
      }
    },
    async close() {
      await Promise.allSettled([...registered.values()].map((app) => app.runtime.close()));
    },
  };
  return registry;
}
