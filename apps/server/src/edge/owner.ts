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

export const notFound = (what: string) => new SwitchyardError('SY_ERR_NOT_FOUND', `No such ${what}`);

export interface Page {
  limit: number;
  offset: number;
}

/** Query strings are not coerced by the server: read limit/offset by hand, capped so no page is unbounded. */
export function pageOf(query: { limit?: string; offset?: string }, maximum = 100): Page {
  const read = (value: string | undefined, fallback: number, name: string) => {
    if (value === undefined) return fallback;
    if (!/^\d{1,9}$/.test(value)) throw new SwitchyardError('SY_ERR_VALIDATION', `${name} must be a whole number`);
    return Number(value);
  };
  const limit = read(query.limit, 50, 'limit');
  if (limit < 1 || limit > maximum) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `limit must be between 1 and ${maximum}`);
  }
  return { limit, offset: read(query.offset, 0, 'offset') };
}
