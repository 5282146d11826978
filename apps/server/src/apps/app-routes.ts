import {
  AppList,
  AppListQuery,
  ErrorResponse,
  SkillCallRequest,
  SkillCallResult,
  SkillJobAccepted,
  SkillParams,
} from '@switchyard/api-schemas';
import { type AppRuntime, type Environment, type SkillDefinition, SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import { actorOf } from '../edge/owner';
import type { RouteBehaviour } from '../edge/principal';
import type { Databases } from '../infrastructure/databases';
import { requireMembership } from '../projects/project-access';
import { type AppAudience, type AppRegistry, skillCallBody } from './app-registry';
import { appAudienceOf, skillCallerOf } from './skill-caller';
import { enqueueSkillCall, type SkillJobRouteDependencies } from './skill-job-routes';

/** What the apps routes use (async calls: the job queue and Idempotency-Key records). */
export interface AppRouteDependencies extends SkillJobRouteDependencies {
  readonly apps: AppRegistry;
  /** The control plane's database: project roles (GET /api/apps?project=). */
  readonly databases: Databases;
}

const callBehaviour: RouteBehaviour = { auth: 'required', scope: 'apps' };
const listBehaviour: RouteBehaviour = { auth: 'required', scope: 'apps', usage: false };
const sessionListBehaviour: RouteBehaviour = { auth: 'session', scope: 'apps', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const tags = ['Apps'];

/** An app's skills if it answers; otherwise why not (an app that is down is listed, not an error). */
export async function reach(runtime: AppRuntime): Promise<{
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

/** The apps an environment may use, with their skills and focus modes (GET /v1/apps, GET /api/apps). */
async function appCatalog(apps: AppRegistry, environment: Environment, audience: AppAudience): Promise<AppList> {
  const listed = await Promise.all(
    apps.list(environment, audience).map(async (runtime) => {
      // Reached first: a remote app's name and description come with its manifest.
      const [reached, modes] = await Promise.all([reach(runtime), runtime.focusModes().catch(() => [])]);
      const base = { id: runtime.id, name: runtime.name, description: runtime.description, kind: runtime.kind };
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
      const projectId = apps.entry(runtime.id)?.projectId ?? null;
      return { ...base, ...reached, skills, focus_modes: focusModes, project_id: projectId };
    }),
  );
  return { apps: listed };
}

/** Apps and their skills, and calling a skill directly: `POST /v1/apps/{app}/skills/{skill}`. */
export function registerAppRoutes(app: FastifyInstance, dependencies: AppRouteDependencies): void {
  const { apps } = dependencies;
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
    async (request) => appCatalog(apps, request.principal?.environment ?? 'prod', appAudienceOf(request.principal)),
  );

  // The web app's picker: the same list for the signed-in user (whose chats are prod's); in a project's chats
  // (`?project=`) the project's own apps too.
  app.get<{ Querystring: AppListQuery }>(
    '/api/apps',
    {
      config: { behaviour: sessionListBehaviour },
      schema: {
        tags,
        summary:
          "The apps and focus modes a signed-in user may chat with (as GET /v1/apps for prod); ?project=<id> adds the project's own apps (members)",
        querystring: AppListQuery,
        response: { 200: AppList, ...errors },
      },
    },
    async (request) => {
      const audience = appAudienceOf(request.principal);
      const project = request.query.project;
      if (project !== undefined) await requireMembership(actorOf(dependencies.databases.prod.db, request), project);
      return appCatalog(apps, request.principal?.environment ?? 'prod', {
        ...audience,
        projectId: project ?? audience.projectId,
      });
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
      const runtime = apps.get(principal.environment, request.params.app, appAudienceOf(principal));
      if (request.body?.async === true) {
        return enqueueSkillCall(dependencies, request, reply, runtime, request.params.skill, request.body.input ?? {});
      }
      const outcome = await apps.run(runtime, request.params.skill, {
        environment: principal.environment,
        caller: skillCallerOf(principal, request.ip),
        input: request.body?.input ?? {},
        signal: clientDisconnectSignal(request, reply),
      });
      return skillCallBody(outcome);
    },
  );
}
