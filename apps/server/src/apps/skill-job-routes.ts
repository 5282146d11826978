import { ErrorResponse, SkillJob, SkillJobParams } from '@switchyard/api-schemas';
import { type AppRuntime, SwitchyardError } from '@switchyard/core';
import type { IdempotencyRepository } from '@switchyard/db';
import type { JobRecord } from '@switchyard/jobs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { runIdempotent } from '../edge/idempotency';
import type { RouteBehaviour } from '../edge/principal';
import { ownedJob, publicStatus, streamJobEvents } from '../jobs/job-http';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { appRoleOf } from './skill-caller';

/** What async skill calls use: the job queue, and Idempotency-Key records. */
export interface SkillJobRouteDependencies {
  readonly jobs: PlatformJobQueue;
  readonly idempotency: IdempotencyRepository;
}

const behaviour: RouteBehaviour = { auth: 'required', scope: 'apps' };
const security = [{ bearer: [] }];
const tags = ['Apps'];

const urlsOf = (id: string) => ({ status_url: `/v1/skills/jobs/${id}`, events_url: `/v1/skills/jobs/${id}/events` });

export function describeSkillJob(job: JobRecord): SkillJob {
  const payload = job.payload as { app?: string; skill?: string };
  return {
    id: job.id,
    object: 'skill.job',
    status: publicStatus(job),
    app: payload.app ?? '',
    skill: payload.skill ?? '',
    environment: job.environment,
    attempts: job.attempts,
    ...(job.progress !== null ? { progress: job.progress } : {}),
    ...(job.status === 'completed' ? { result: job.result } : {}),
    ...(job.status === 'dead' && job.lastError ? { error: job.lastError } : {}),
    created_at: job.createdAt.toISOString(),
    finished_at: job.finishedAt ? job.finishedAt.toISOString() : null,
    ...urlsOf(job.id),
  };
}

/**
 * `"async": true` on a skill call: stored as a `skill.call` job and answered 202 at once with where to
 * follow it. The app must exist in the key's environment (404 now, not a failed job later); the skill and
 * its input are checked when the job runs, like a direct call.
 */
export async function enqueueSkillCall(
  dependencies: SkillJobRouteDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  runtime: AppRuntime,
  skill: string,
  input: Record<string, unknown>,
): Promise<FastifyReply> {
  const principal = request.principal;
  if (!principal || principal.kind === 'anonymous') {
    throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Calling a skill needs an API key');
  }
  return runIdempotent(dependencies.idempotency, request, reply, async () => {
    const job = await dependencies.jobs.enqueue(
      'skill.call',
      {
        environment: principal.environment,
        apiKeyId: principal.keyId,
        subject: principal.subject,
        callerKind: principal.kind === 'user' ? 'user' : 'key',
        userId: principal.userId,
        role: appRoleOf(principal),
        projectId: principal.projectId,
        app: runtime.id,
        skill,
        input,
      },
      { environment: principal.environment, trace: { requestId: request.id } },
    );
    const urls = urlsOf(job.id);
    return {
      status: 202,
      body: { job_id: job.id, status: publicStatus(job), ...urls },
      headers: { location: urls.status_url },
    };
  });
}

/** Following an async skill call: its status and result, and its events as SSE. Another caller's job is 404. */
export function registerSkillJobRoutes(app: FastifyInstance, { jobs }: SkillJobRouteDependencies): void {
  app.get<{ Params: Static<typeof SkillJobParams> }>(
    '/v1/skills/jobs/:id',
    {
      config: { behaviour },
      schema: {
        tags,
        summary: 'Status, latest progress and result of an async skill call',
        description: 'Only the key that made the call, in its environment, can see it.',
        security,
        params: SkillJobParams,
        response: { 200: SkillJob, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => describeSkillJob(await ownedJob(jobs, request, request.params.id, 'skill.call')),
  );

  app.get<{ Params: Static<typeof SkillJobParams> }>(
    '/v1/skills/jobs/:id/events',
    {
      config: { behaviour },
      schema: {
        tags,
        summary: 'Progress and result of an async skill call as server-sent events',
        description:
          'Events: `status` (the job now), `progress` ({message, fraction?} as the skill reports it), `retrying` ' +
          '({attempt, error, retry_at}; only when the app could not be reached), then `completed` (the job with ' +
          'its result) or `failed` ({error}); the stream ends after either.',
        security,
        params: SkillJobParams,
      },
    },
    async (request, reply) => {
      const job = await ownedJob(jobs, request, request.params.id, 'skill.call');
      await streamJobEvents(jobs, request, reply, job, describeSkillJob);
    },
  );
}
