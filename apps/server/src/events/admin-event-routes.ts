import {
  AnyIdParams,
  deadJobPage,
  ErrorResponse,
  EventDeadLetterList,
  EventDeadLetterResponses,
  EventDeadLettersQuery,
} from '@switchyard/api-schemas';
import { environments, SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import { administeredEnvironments, administers } from '../edge/admin-environments';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import type { PlatformEventBus } from './event-bus';
import { wireDeadLetter } from './event-wire';

const behaviour: RouteBehaviour = { auth: 'admin' };
const readBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];

/** Dead-lettered events of the environments the admin administers, and their replay. */
export function registerAdminEventRoutes(app: FastifyInstance, events: PlatformEventBus): void {
  app.get<{ Querystring: EventDeadLettersQuery }>(
    '/v1/admin/events/dead-letters',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Events a consumer group gave up on after its last attempt, newest first',
        security,
        querystring: EventDeadLettersQuery,
        response: { 200: EventDeadLetterList, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse },
      },
    },
    async (request) => {
      const administered = administeredEnvironments(request.principal);
      const everyEnvironment = environments.every((environment) => administered.includes(environment));
      const { group } = request.query;
      const deadLetters = await events.listDeadLetters({
        ...(everyEnvironment ? {} : { environments: administered }),
        ...(group ? { group } : {}),
        ...pageOf(request.query, deadJobPage),
      });
      return { backend: events.backend, dead_letters: deadLetters.map(wireDeadLetter) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/admin/events/dead-letters/:id/replay',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Send a dead-lettered event back to its consumer group, attempts reset',
        security,
        params: AnyIdParams,
        response: EventDeadLetterResponses,
      },
    },
    async (request) => {
      const deadLetter = await events.getDeadLetter(request.params.id);
      // Another environment's dead letter looks like a missing one.
      if (!deadLetter || !administers(request.principal, deadLetter.event.environment)) {
        throw new SwitchyardError('SY_ERR_NOT_FOUND', `No dead letter with id '${request.params.id}'`);
      }
      return wireDeadLetter(await events.replayDeadLetter(deadLetter.id));
    },
  );
}
