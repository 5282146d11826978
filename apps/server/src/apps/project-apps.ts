import type { CreateProjectAppRequest, ProjectApp, UpdateProjectAppRequest } from '@switchyard/api-schemas';
import { isSwitchyardError, projectAllowsApp, type ResourceAction, SwitchyardError } from '@switchyard/core';
import type { AppRecord, AppsRepository } from '@switchyard/db';
import { type Actor, requireMembership } from '../projects/project-access';
import { type AppAdmin, type AppChanges, type AppDefinition, displayUrl } from './app-admin';

/**
 * Apps that belong to a project: its admins (and owner) add, change and remove them, every member sees them
 * and uses them in the project's chats and with the project's keys (see AppAudience). Someone outside the
 * project gets 404 for the app, as for any foreign id; a member whose role may not change it gets 403.
 */
export interface ProjectApps {
  create(actor: Actor, input: CreateProjectAppRequest): Promise<ProjectApp>;
  /** Every app of the project, switched off ones too (members). */
  list(actor: Actor, projectId: string): Promise<ProjectApp[]>;
  get(actor: Actor, id: string): Promise<ProjectApp>;
  /** The fields POST takes, checked by the same rules; every process applies the change (as for POST). */
  update(actor: Actor, id: string, changes: UpdateProjectAppRequest): Promise<ProjectApp>;
  delete(actor: Actor, id: string): Promise<void>;
}

const notFound = (id: string) => new SwitchyardError('SY_ERR_APP_NOT_FOUND', `No app '${id}'`);

function forbidden(role: string, action: ResourceAction): SwitchyardError {
  const verb = action === 'create' ? 'add apps to it' : `${action} its apps`;
  return new SwitchyardError(
    'SY_ERR_FORBIDDEN',
    `Your role in this project (${role}) may not ${verb}; its admins and owner manage its apps`,
  );
}

function viewOf(row: AppRecord & { projectId: string }): ProjectApp {
  const definition = (row.definition ?? {}) as AppDefinition;
  return {
    id: row.id,
    type: row.type === 'http' ? 'http' : 'mcp',
    name: definition.name ?? row.id,
    description: definition.description ?? '',
    projectId: row.projectId,
    createdBy: row.createdBy,
    ...(definition.url ? { url: displayUrl(definition.url) } : {}),
    ...(definition.baseUrl ? { base_url: displayUrl(definition.baseUrl) } : {}),
    header_names: Object.keys(definition.headers ?? {}),
    has_secret: definition.secret !== undefined,
    enabled: row.enabled,
    created_at: row.createdAt.toISOString(),
  };
}

/** The API's snake_case fields in the admin service's names (only those given). */
function changesOf(body: UpdateProjectAppRequest): AppChanges {
  const changes: AppChanges = {
    name: body.name,
    description: body.description,
    url: body.url,
    baseUrl: body.base_url,
    headers: body.headers,
    timeoutMs: body.timeout_ms,
    maxOutputBytes: body.max_output_bytes,
    secret: body.secret,
    enabled: body.enabled,
  };
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as AppChanges;
}

export function createProjectApps(
  appAdmin: Pick<AppAdmin, 'create' | 'update' | 'delete'>,
  repository: Pick<AppsRepository, 'find' | 'listForProject'>,
): ProjectApps {
  /** The project's app and the actor's role in its project: 404 unless both exist and the actor is a member. */
  async function authorized(actor: Actor, id: string, action: Exclude<ResourceAction, 'create'>) {
    const row = await repository.find(id);
    if (row?.source !== 'admin' || !row.projectId) throw notFound(id);
    // Not a member reads as "no such app"; any other failure (the database) keeps its own error.
    const role = await requireMembership(actor, row.projectId).catch((error: unknown) => {
      throw isSwitchyardError(error) && error.status === 404 ? notFound(id) : error;
    });
    if (!projectAllowsApp(role, action)) throw forbidden(role, action);
    return { ...row, projectId: row.projectId };
  }

  return {
    async create(actor, input) {
      const role = await requireMembership(actor, input.projectId);
      if (!projectAllowsApp(role, 'create')) throw forbidden(role, 'create');
      await appAdmin.create({
        id: input.id,
        type: input.type,
        name: input.name,
        description: input.description,
        url: input.url,
        baseUrl: input.base_url,
        secret: input.secret,
        headers: input.headers,
        timeoutMs: input.timeout_ms,
        maxOutputBytes: input.max_output_bytes,
        projectId: input.projectId,
        createdBy: actor.userId,
      });
      return viewOf(await authorized(actor, input.id, 'read'));
    },

    async list(actor, projectId) {
      await requireMembership(actor, projectId);
      return (await repository.listForProject(projectId)).map((row) => viewOf({ ...row, projectId }));
    },

    async get(actor, id) {
      return viewOf(await authorized(actor, id, 'read'));
    },

    async update(actor, id, changes) {
      await authorized(actor, id, 'edit');
      await appAdmin.update(id, changesOf(changes));
      return viewOf(await authorized(actor, id, 'read'));
    },

    async delete(actor, id) {
      await authorized(actor, id, 'delete');
      await appAdmin.delete(id);
    },
  };
}
