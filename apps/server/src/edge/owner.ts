import { SwitchyardError } from '@switchyard/core';
import type { Db } from '@switchyard/db';
import type { FastifyRequest } from 'fastify';
import type { Databases } from '../infrastructure/databases';
import { type Actor, createProjectRoles } from '../projects/project-access';
import type { RouteBehaviour } from './principal';

export const sessionOnly: RouteBehaviour = { auth: 'session', usage: false };

/** Who acts (with their project roles, see Actor) and the database the rows live in. */
export interface Owner extends Actor {
  db: Db;
}

/**
 * The signed-in user and the database their data lives in (their environment's; prod for sessions), with
 * their roles in projects (read from the control plane, once per request and project).
 */
export function ownerOf(databases: Databases, request: FastifyRequest): Owner {
  const principal = request.principal;
  if (!principal?.userId) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs a signed-in user');
  return {
    userId: principal.userId,
    db: databases[principal.environment].db,
    projects: createProjectRoles(databases.prod.db, principal.userId),
    keyProjectId: principal.projectId,
  };
}

/** The signed-in user (or a user's key) acting on shared things, with their project roles. */
export function actorOf(controlDb: Db, request: FastifyRequest): Actor {
  const principal = request.principal;
  if (!principal?.userId) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs a signed-in user');
  return {
    userId: principal.userId,
    projects: createProjectRoles(controlDb, principal.userId),
    keyProjectId: principal.projectId,
  };
}

export type { Page } from './paging';

export const notFound = (what: string) => new SwitchyardError('SY_ERR_NOT_FOUND', `No such ${what}`);
