import { type ProjectRole, projectAllows, type ResourceAction, SwitchyardError } from '@switchyard/core';
import { createProjectsRepository, type Db, type OwnerScope } from '@switchyard/db';

/** The caller's roles in projects, each read once per request (a role is never remembered longer). */
export interface ProjectRoles {
  roleOf(projectId: string): Promise<ProjectRole | undefined>;
}

export function createProjectRoles(controlDb: Db, userId: string): ProjectRoles {
  const known = new Map<string, Promise<ProjectRole | undefined>>();
  const repository = createProjectsRepository(controlDb);
  return {
    roleOf(projectId) {
      let role = known.get(projectId);
      if (!role) {
        role = repository.roleOf(projectId, userId);
        known.set(projectId, role);
      }
      return role;
    },
  };
}

/** Who is acting on shared things: a signed-in user (or a user's key), with their project roles. */
export interface Actor {
  userId: string;
  /** Absent for callers that are not accounts (a WhatsApp contact): they only ever see their own rows. */
  projects?: ProjectRoles | undefined;
  /** A project key's project: what it lists and creates without naming a project is that project's. */
  keyProjectId?: string | null | undefined;
}

/** A row that is someone's own (`projectId` null) or shared in a project. */
export interface SharedRow {
  userId: string;
  projectId: string | null;
}

const notFound = (what: string) => new SwitchyardError('SY_ERR_NOT_FOUND', `No such ${what}`);

const roleIn = async (actor: Actor, projectId: string) =>
  actor.projects ? actor.projects.roleOf(projectId) : undefined;

/**
 * Throws unless the actor may do `action` on the row. A row the actor cannot see at all (someone else's own,
 * or a project they are not in) is 404 like a missing id, as for every foreign id; a project row they can see
 * but not change is 403.
 */
export async function authorizeRow(
  actor: Actor,
  row: SharedRow | undefined,
  action: Exclude<ResourceAction, 'create'>,
  what: string,
): Promise<void> {
  if (!row) throw notFound(what);
  if (row.projectId === null) {
    if (row.userId !== actor.userId) throw notFound(what);
    return;
  }
  // A project key reaches only its own project's rows.
  if (actor.keyProjectId && actor.keyProjectId !== row.projectId) throw notFound(what);
  const role = await roleIn(actor, row.projectId);
  if (!role) throw notFound(what);
  if (!projectAllows(role, action, row.userId === actor.userId)) {
    throw new SwitchyardError('SY_ERR_FORBIDDEN', `Your role in this project (${role}) may not ${action} this ${what}`);
  }
}

/** The role of a member; 404 (as for a missing project) when the actor is not one. */
export async function requireMembership(actor: Actor, projectId: string): Promise<ProjectRole> {
  if (actor.keyProjectId && actor.keyProjectId !== projectId) throw notFound('project');
  const role = await roleIn(actor, projectId);
  if (!role) throw notFound('project');
  return role;
}

/**
 * Whose rows a list reads: `?project=<id>` names a project the actor is a member of; without it a project
 * key lists its project's and anyone else their own.
 */
export async function listScope(actor: Actor, projectId: string | undefined): Promise<OwnerScope> {
  const named = projectId ?? actor.keyProjectId ?? undefined;
  if (named === undefined || named === '') return { kind: 'personal', userId: actor.userId };
  await requireMembership(actor, named);
  return { kind: 'project', projectId: named };
}

/**
 * The project a new row goes to (null: the actor's own). Creating in a project needs a member's role or more;
 * a project key creates in its project.
 */
export async function creationProject(actor: Actor, projectId: string | null | undefined): Promise<string | null> {
  const named = projectId ?? actor.keyProjectId ?? null;
  if (named === null) return null;
  const role = await requireMembership(actor, named);
  if (!projectAllows(role, 'create', true)) {
    throw new SwitchyardError('SY_ERR_FORBIDDEN', `Your role in this project (${role}) may not create anything in it`);
  }
  return named;
}
