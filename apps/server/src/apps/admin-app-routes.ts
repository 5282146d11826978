import {
  AdminAppList,
  AdminAppParams,
  AdminAppSummary,
  AdminSkillTestParams,
  AppHealth,
  CreateAppRequest,
  ErrorResponse,
  SkillCallRequest,
  SkillCallResult,
  UpdateAppRequest,
} from '@switchyard/api-schemas';
import { type Environment, SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { administeredEnvironments, assertAdministersAll } from '../edge/admin-environments';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import type { Principal, RouteBehaviour } from '../edge/principal';
import type { AppAdmin, AppChanges } from './app-admin';
import { type AppRegistry, type RegisteredApp, skillCallBody } from './app-registry';
import { reach } from './app-routes';
import { skillCallerOf } from './skill-caller';

export interface AdminAppRouteDependencies {
  readonly apps: AppRegistry;
  readonly appAdmin: AppAdmin;
}

const adminBehaviour: RouteBehaviour = { auth: 'admin' };
/** The console polls these reads; they are not API usage. */
const adminReadBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const tags = ['Admin'];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const changeErrors = { ...errors, 409: ErrorResponse };
/** A response that says how an app is does not wait longer than this for it (a create must not hang). */
const statusWaitMs = 5_000;

/** Rejects after `ms` (the operation goes on; its result is not waited for). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const visibleTo = (entry: RegisteredApp, administered: readonly Environment[]) =>
  entry.environments.some((environment) => administered.includes(environment));

/** An app an admin of these environments may see; 404 otherwise (a dev admin never learns of prod's apps). */
function visibleApp(apps: AppRegistry, principal: Principal | null, id: string): RegisteredApp {
  const entry = apps.entry(id);
  if (!entry || !visibleTo(entry, administeredEnvironments(principal))) {
    throw new SwitchyardError('SY_ERR_APP_NOT_FOUND', `No app '${id}'`);
  }
  return entry;
}

async function summaryOf(
  dependencies: AdminAppRouteDependencies,
  entry: RegisteredApp,
  administered: readonly Environment[],
): Promise<AdminAppSummary> {
  const { runtime } = entry;
  const reached = await within(reach(runtime), Math.min(runtime.timeoutMs, statusWaitMs), `App '${runtime.id}'`).catch(
    (error: Error) => ({ status: 'unavailable' as const, error: error.message, skills: [] }),
  );
  const stored = dependencies.appAdmin.describe(runtime.id);
  return {
    id: runtime.id,
    name: runtime.name,
    description: runtime.description,
    kind: runtime.kind,
    environments: entry.environments.filter((environment) => administered.includes(environment)),
    ...reached,
    skills: reached.skills.map((skill) => skill.name),
    timeout_ms: runtime.timeoutMs,
    max_output_bytes: runtime.maxOutputBytes,
    source: entry.source,
    enabled: entry.enabled,
    roles: entry.roles ? [...entry.roles] : null,
    ...(stored?.url ? { url: stored.url } : {}),
    ...(stored?.baseUrl ? { base_url: stored.baseUrl } : {}),
    ...(stored ? { header_names: [...stored.headerNames] } : {}),
    ...(stored && runtime.kind === 'http' ? { has_secret: stored.hasSecret } : {}),
    ...(entry.projectId ? { project_id: entry.projectId } : {}),
  };
}

type AppFields = Partial<Omit<CreateAppRequest, 'id' | 'type' | 'secret'>>;

/** The API's snake_case fields in our names (only those given). */
function fieldsOf(body: AppFields): Omit<AppChanges, 'secret' | 'enabled'> {
  const fields = {
    name: body.name,
    description: body.description,
    url: body.url,
    baseUrl: body.base_url,
    headers: body.headers,
    environments: body.environments,
    timeoutMs: body.timeout_ms,
    maxOutputBytes: body.max_output_bytes,
    roles: body.roles,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/**
 * Run-time app administration: list, create, change (enable, disable, environments, roles), delete,
 * test a skill, check health. Apps are global: only an admin of every environment (a prod admin key
 * or a signed-in admin) changes them; a dev admin key sees and tests dev's apps only.
 */
export function registerAdminAppRoutes(app: FastifyInstance, dependencies: AdminAppRouteDependencies): void {
  const { apps, appAdmin } = dependencies;

  app.get(
    '/v1/admin/apps',
    {
      config: { behaviour: adminReadBehaviour },
      schema: {
        tags,
        summary:
          'Apps of the environments you administer: source, whether enabled, for which roles, whether they answer, skills and limits',
        security,
        response: { 200: AdminAppList, ...errors },
      },
    },
    async (request) => {
      const administered = administeredEnvironments(request.principal);
      const visible = apps.entries().filter((entry) => visibleTo(entry, administered));
      return { apps: await Promise.all(visible.map((entry) => summaryOf(dependencies, entry, administered))) };
    },
  );

  app.post<{ Body: CreateAppRequest }>(
    '/v1/admin/apps',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags,
        summary:
          'Add an app (an MCP server by URL, or a remote http app); every process has it at once. Secrets and headers are stored, never shown back',
        security,
        body: CreateAppRequest,
        response: { 201: AdminAppSummary, ...changeErrors },
      },
      preValidation: async (request) => {
        const body = request.body as Record<string, unknown> | null;
        if (body && typeof body === 'object' && 'command' in body) {
          throw new SwitchyardError(
            'SY_ERR_VALIDATION',
            "command: apps started as a process (stdio) come from the config file only; an API that starts processes would be remote code execution. Give the MCP server's url instead",
          );
        }
      },
    },
    async (request, reply) => {
      assertAdministersAll(request.principal, 'Apps');
      const body = request.body;
      const created = await appAdmin.create({
        id: body.id,
        type: body.type,
        ...fieldsOf(body),
        ...(body.secret === undefined ? {} : { secret: body.secret }),
      });
      request.log.info({ app: body.id, type: body.type, by: request.principal?.subject }, 'app created');
      reply.code(201);
      return summaryOf(dependencies, created, administeredEnvironments(request.principal));
    },
  );

  app.patch<{ Params: Static<typeof AdminAppParams>; Body: UpdateAppRequest }>(
    '/v1/admin/apps/:id',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags,
        summary:
          'Change an app: enable or disable it, its environments and roles; admin-made apps also their definition',
        security,
        params: AdminAppParams,
        body: UpdateAppRequest,
        response: { 200: AdminAppSummary, ...changeErrors },
      },
    },
    async (request) => {
      visibleApp(apps, request.principal, request.params.id);
      assertAdministersAll(request.principal, 'Apps');
      const { secret, enabled, ...rest } = request.body;
      const updated = await appAdmin.update(request.params.id, {
        ...fieldsOf(rest),
        ...(secret === undefined ? {} : { secret }),
        ...(enabled === undefined ? {} : { enabled }),
      });
      request.log.info(
        { app: request.params.id, fields: Object.keys(request.body), by: request.principal?.subject },
        'app changed',
      );
      return summaryOf(dependencies, updated, administeredEnvironments(request.principal));
    },
  );

  app.delete<{ Params: Static<typeof AdminAppParams> }>(
    '/v1/admin/apps/:id',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags,
        summary: 'Delete an admin-made app (config and built-in apps are disabled instead: 409)',
        security,
        params: AdminAppParams,
        response: changeErrors,
      },
    },
    async (request, reply) => {
      visibleApp(apps, request.principal, request.params.id);
      assertAdministersAll(request.principal, 'Apps');
      await appAdmin.delete(request.params.id);
      request.log.info({ app: request.params.id, by: request.principal?.subject }, 'app deleted');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof AdminSkillTestParams>; Body: SkillCallRequest }>(
    '/v1/admin/apps/:id/skills/:skill/test',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags,
        summary:
          "Run one of an app's skills as a test, even while the app is disabled (in an environment you administer)",
        security,
        params: AdminSkillTestParams,
        body: SkillCallRequest,
        response: { 200: SkillCallResult, ...errors, 503: ErrorResponse, 504: ErrorResponse },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      const entry = visibleApp(apps, principal, request.params.id);
      const administered = administeredEnvironments(principal);
      const candidates = entry.environments.filter((environment) => administered.includes(environment));
      const environment =
        principal && candidates.includes(principal.environment) ? principal.environment : candidates[0];
      if (!environment) throw new SwitchyardError('SY_ERR_APP_NOT_FOUND', `No app '${request.params.id}'`);
      const outcome = await apps.run(entry.runtime, request.params.skill, {
        environment,
        caller: skillCallerOf(principal, request.ip),
        input: request.body?.input ?? {},
        signal: clientDisconnectSignal(request, reply),
      });
      return skillCallBody(outcome);
    },
  );

  app.get<{ Params: Static<typeof AdminAppParams> }>(
    '/v1/admin/apps/:id/health',
    {
      config: { behaviour: adminReadBehaviour },
      schema: {
        tags,
        summary: 'Reach the app now (one round trip within its timeout): ok or unavailable, latency, number of skills',
        security,
        params: AdminAppParams,
        response: { 200: AppHealth, ...errors },
      },
    },
    async (request) => {
      const { runtime } = visibleApp(apps, request.principal, request.params.id);
      const started = performance.now();
      const latency = () => Math.round((performance.now() - started) * 100) / 100;
      const signal = AbortSignal.timeout(runtime.timeoutMs);
      try {
        const check = (async () => {
          await runtime.ping?.(signal);
          return runtime.skills();
        })();
        const skills = await within(check, runtime.timeoutMs, `App '${runtime.id}'`);
        return { id: runtime.id, status: 'ok' as const, latency_ms: latency(), skills: skills.length };
      } catch (error) {
        return {
          id: runtime.id,
          status: 'unavailable' as const,
          latency_ms: latency(),
          skills: 0,
          error: (error as Error).message,
        };
      }
    },
  );
}
