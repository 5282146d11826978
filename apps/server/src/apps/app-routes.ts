import {
  AdminAppList,
  AppList,
  ErrorResponse,
  SkillCallRequest,
  SkillCallResult,
  SkillJobAccepted,
  SkillParams,
} from '@switchyard/api-schemas';
import { type AppRuntime, type SkillDefinition, SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { administeredEnvironments } from '../edge/admin-environments';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import type { RouteBehaviour } from '../edge/principal';
import type { AppRegistry } from './app-registry';
import { skillCallerOf } from './skill-caller';
import { enqueueSkillCall, type SkillJobRouteDependencies } from './skill-job-routes';

/** What the apps routes use (async calls: the job queue and Idempotency-Key records). */
export interface AppRouteDependencies extends SkillJobRouteDependencies {
  readonly apps: AppRegistry;
}

const callBehaviour: RouteBehaviour = { auth: 'required', scope: 'apps' };
const listBehaviour: RouteBehaviour = { auth: 'required', scope: 'apps', usage: false };
const adminBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const tags = ['Apps'];

/** An app's skills if it answers; otherwise why not (an app that is down is listed, not an error). */
async function reach(runtime: AppRuntime): Promise<{
  status: 'ok' | 'unavailable';
  error?: string;
  skills: readonly SkillDefinition[];
}> {
  try {
    return { status: 'ok', skills: await runtime.skills() };
  } catch (error) {
    return { status: 'unavailable', error: (error as Error).message, skills: [] };
  }
}

/** Apps and their skills, and calling a skill directly: `POST /v1/apps/{app}/skills/{skill}`. */
export function registerAppRoutes(app: FastifyInstance, dependencies: AppRouteDependencies): void {
  const { apps } = dependencies;
  app.get(
    '/v1/admin/apps',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Apps of the environments you administer: where enabled, whether they answer, skills and limits',
        security,
        response: { 200: AdminAppList, ...errors },
      },
    },
    async (request) => {
      const administered = administeredEnvironments(request.principal);
      const visible = apps.all().filter((runtime) => runtime.environments.some((env) => administered.includes(env)));
      const listed = await Promise.all(
        visible.map(async (runtime) => {
          const base = {
            id: runtime.id,
            name: runtime.name,
            kind: runtime.kind,
            environments: runtime.environments.filter((env) => administered.includes(env)),
            timeout_ms: runtime.timeoutMs,
            max_output_bytes: runtime.maxOutputBytes,
          };
          const reached = await reach(runtime);
          return { ...base, ...reached, skills: reached.skills.map((skill) => skill.name) };
        }),
      );
      return { apps: listed };
    },
  );

  app.get(
    '/v1/apps',
    {
      config: { behaviour: listBehaviour },
      schema: {
        tags,
        summary: "The apps this key's environment may use, with their skills (an app that is down says so)",
        security,
        response: { 200: AppList, ...errors },
      },
    },
    async (request) => {
      const environment = request.principal?.environment ?? 'prod';
      const listed = await Promise.all(
        apps.list(environment).map(async (runtime) => {
          const base = { id: runtime.id, name: runtime.name, description: runtime.description, kind: runtime.kind };
          const [reached, modes] = await Promise.all([reach(runtime), runtime.focusModes().catch(() => [])]);
          const focusModes = modes.map((mode) => ({
            id: mode.id,
            name: mode.name,
            description: mode.description,
            skills: mode.skills ? [...mode.skills] : null,
            model: mode.model,
          }));
          const skills = reached.skills.map((skill) => ({
            name: skill.name,
            description: skill.description,
            input_schema: { ...skill.inputSchema },
          }));
          return { ...base, ...reached, skills, focus_modes: focusModes };
        }),
      );
      return { apps: listed };
    },
  );

  app.post<{ Params: Static<typeof SkillParams>; Body: SkillCallRequest }>(
    '/v1/apps/:app/skills/:skill',
    {
      config: { behaviour: callBehaviour },
      schema: {
        tags,
        summary: "Run one of an app's skills with `{input}`; the skill's own failure is `is_error: true`",
        security,
        params: SkillParams,
        body: SkillCallRequest,
        response: { 200: SkillCallResult, 202: SkillJobAccepted, ...errors, 503: ErrorResponse, 504: ErrorResponse },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Calling a skill needs an API key');
      const runtime = apps.get(principal.environment, request.params.app);
      if (request.body?.async === true) {
        return enqueueSkillCall(dependencies, request, reply, runtime, request.params.skill, request.body.input ?? {});
      }
      const outcome = await apps.run(runtime, request.params.skill, {
        environment: principal.environment,
        caller: skillCallerOf(principal, request.ip),
        input: request.body?.input ?? {},
        signal: clientDisconnectSignal(request, reply),
      });
      return {
        app: outcome.app,
        skill: outcome.skill,
        output: outcome.text,
        is_error: outcome.isError,
        truncated: outcome.truncated,
        duration_ms: Math.round(outcome.durationMs * 100) / 100,
      };
    },
  );
}
