import type { AppEntry, AppRuntime, Environment, SkillCall, SkillDefinition, SkillResult } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { SkillCallOrigin } from '@switchyard/db';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Logger } from 'pino';
import type { Metrics } from '../infrastructure/metrics';
import { createMcpApp } from './mcp-app';

/** The apps this process runs: from the config file, each enabled per environment. */
export interface AppRegistry {
  /** The apps an environment may use. */
  list(environment: Environment): readonly AppRuntime[];
  /** Every app, whatever its environments (administration). */
  all(): readonly AppRuntime[];
  /** An app the environment may use; 404 SY_ERR_APP_NOT_FOUND otherwise (also when it is not enabled there). */
  get(environment: Environment, id: string): AppRuntime;
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

export interface AppRegistryDependencies {
  /** Apps from the config file. */
  readonly apps: readonly AppEntry[];
  /** Apps that run in-process (web, images, files), made by the composition root. */
  readonly builtins?: readonly AppRuntime[];
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'skillCalls' | 'skillDuration'>;
}

export function createAppRegistry({ apps, builtins = [], logger, metrics }: AppRegistryDependencies): AppRegistry {
  const runtimes = new Map<string, AppRuntime>([
    ...builtins.map((runtime) => [runtime.id, runtime] as const),
    ...apps.map((entry) => [entry.id, createMcpApp(entry, logger)] as const),
  ]);
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
    list: (environment) => [...runtimes.values()].filter((app) => app.environments.includes(environment)),
    all: () => [...runtimes.values()],
    get(environment, id) {
      const app = runtimes.get(id);
      if (!app?.environments.includes(environment)) {
        throw new SwitchyardError('SY_ERR_APP_NOT_FOUND', `No app '${id}' in ${environment}`);
      }
      return app;
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
      await Promise.allSettled([...runtimes.values()].map((app) => app.close()));
    },
  };
  return registry;
}
