import { SwitchyardError } from '@switchyard/core';
import type { Db } from '@switchyard/db';
import type { FastifyRequest } from 'fastify';
import type { Databases } from '../infrastructure/databases';
import type { RouteBehaviour } from './principal';

export const sessionOnly: RouteBehaviour = { auth: 'session', usage: false };

export interface Owner {
  userId: string;
  db: Db;
}

/** The signed-in user and the database their data lives in (their environment's; prod for sessions). */
export function ownerOf(databases: Databases, request: FastifyRequest): Owner {
  const principal = request.principal;
  if (!principal?.userId) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs a signed-in user');
  return { userId: principal.userId, db: databases[principal.environment].db };
}

export type { Page } from './paging';

export const notFound = (what: string) => new SwitchyardError('SY_ERR_NOT_FOUND', `No such ${what}`);
