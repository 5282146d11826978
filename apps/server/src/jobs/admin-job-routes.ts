import { SwitchyardError } from '@switchyard/core';
import type { JobRecord } from '@switchyard/jobs';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { pageOf, pageQuery } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import { ErrorResponse } from '../edge/schemas';
import type { PlatformJobQueue } from './job-queue';

const behaviour: RouteBehaviour = { auth: 'admin' };
/** The console polls these reads; they are not API usage and would crowd the usage charts. */
const readBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
/** The dead-letter list: 50 by default, up to 1,000. */
const deadPage = { defaultLimit: 50, maximum: 1000 };
const errors = { 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

function describeJob(job: JobRecord) {
  return {
    id: job.id,
    name: job.name,
    environment: job.environment,
    status: job.status,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    run_at: job.runAt.toISOString(),
    last_error: job.lastError,
    result: job.result,
    progress: job.progress,
    payload: job.payload,
    created_at: job.createdAt.toISOString(),
    updated_at: job.updatedAt.toISOString(),
    finished_at: job.finishedAt ? job.finishedAt.toISOString() : null,
  };
}

/** Queue depth and rates, worker heartbeats, and the dead-letter queue with replay and discard. */
export function registerAdminJobRoutes(app: FastifyInstance, jobs: PlatformJobQueue): void {
  app.get(
    '/v1/admin/jobs',
    {
      config: { behaviour: readBehaviour },
      schema: { tags: ['Admin'], summary: 'Queues: depth by state and job name, rates, worker heartbeats', security },
    },
    async () => {
      const [stats, workers] = await Promise.all([jobs.stats(), jobs.heartbeats()]);
      return {
        backend: jobs.backend,
        ...stats,
        workers: workers.map((worker) => ({
          worker_id: worker.workerId,
          names: worker.names,
          active: worker.active,
          started_at: worker.startedAt.toISOString(),
          last_seen_at: worker.lastSeenAt.toISOString(),
        })),
      };
    },
  );

  app.get<{ Querystring: { name?: string; limit?: string; offset?: string } }>(
    '/v1/admin/jobs/dead',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Dead-lettered jobs, newest first, with their error and attempts',
        security,
        querystring: Type.Object({
          name: Type.Optional(Type.String()),
          ...pageQuery(deadPage),
        }),
      },
    },
    async (request) => {
      const { name } = request.query;
      const dead = await jobs.listDead({ ...(name ? { name } : {}), ...pageOf(request.query, deadPage) });
      return { jobs: dead.map(describeJob) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/admin/jobs/:id',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'One job',
        security,
        params: Type.Object({ id: Type.String() }),
        response: errors,
      },
    },
    async (request) => {
      const job = await jobs.get(request.params.id);
      if (!job) {
        throw new SwitchyardError('SY_ERR_NOT_FOUND', `No job with id '${request.params.id}'`);
      }
      return describeJob(job);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/admin/jobs/:id/replay',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Send a dead-lettered job back to the queue with its attempts reset',
        security,
        params: Type.Object({ id: Type.String() }),
        response: errors,
      },
    },
    async (request) => describeJob(await jobs.replay(request.params.id)),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/admin/jobs/:id',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Discard a dead-lettered job',
        security,
        params: Type.Object({ id: Type.String() }),
        response: errors,
      },
    },
    async (request, reply) => {
      await jobs.discard(request.params.id);
      return reply.code(204).send();
    },
  );
}
