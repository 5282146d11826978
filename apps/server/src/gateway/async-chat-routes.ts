import { ChatJob, ChatJobParams, ErrorResponse } from '@switchyard/api-schemas';
import type { JobRecord } from '@switchyard/jobs';
import type { ChatRequest } from '@switchyard/providers';
import type { ModelRoute } from '@switchyard/routing';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { runIdempotent } from '../edge/idempotency';
import type { RouteBehaviour } from '../edge/principal';
import { ownedJob, publicStatus, streamJobEvents } from '../jobs/job-http';
import type { GatewayDependencies } from './gateway-dependencies';

export function describeChatJob(job: JobRecord): Record<string, unknown> {
  const payload = job.payload as { model?: string };
  return {
    id: job.id,
    object: 'chat.job',
    status: publicStatus(job),
    model: payload.model ?? '',
    environment: job.environment,
    attempts: job.attempts,
    ...(job.status === 'completed' ? { result: job.result } : {}),
    ...(job.status === 'dead' && job.lastError ? { error: job.lastError } : {}),
    created_at: job.createdAt.toISOString(),
    finished_at: job.finishedAt ? job.finishedAt.toISOString() : null,
    status_url: `/v1/chat/jobs/${job.id}`,
    events_url: `/v1/chat/jobs/${job.id}/events`,
  };
}

/**
 * Seed 002's queue flow: the request is stored as a `chat.complete` job and
 * answered 202 at once; a worker calls the model with the gateway's routing and
 * stores the answer in the environment's database.
 */
export async function enqueueChat(
  gateway: GatewayDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  route: ModelRoute,
  chatRequest: ChatRequest,
): Promise<FastifyReply> {
  return runIdempotent(gateway.idempotency, request, reply, async () => {
    const principal = request.principal;
    const environment = principal?.environment ?? 'prod';
    const { model: _model, messages, stream: _stream, stream_options: _streamOptions, ...params } = chatRequest;
    const job = await gateway.jobs.enqueue(
      'chat.complete',
      {
        environment,
        apiKeyId: principal?.keyId ?? null,
        subject: principal?.subject ?? `ip:${request.ip}`,
        model: route.id,
        messages: messages as never,
        params,
      },
      { environment, trace: { requestId: request.id } },
    );
    const body = describeChatJob(job);
    return { status: 202, body, headers: { location: String(body.status_url) } };
  });
}

const jobBehaviour: RouteBehaviour = { auth: 'optional', scope: 'chat' };

export function registerAsyncChatRoutes(app: FastifyInstance, gateway: GatewayDependencies): void {
  app.get<{ Params: Static<typeof ChatJobParams> }>(
    '/v1/chat/jobs/:id',
    {
      config: { behaviour: jobBehaviour },
      schema: {
        tags: ['Chat'],
        summary: 'Status and result of an async chat job',
        description: 'Only the key (or anonymous client) that created the job, in its environment, can see it.',
        security: [{ bearer: [] }, {}],
        params: ChatJobParams,
        response: { 200: ChatJob, 404: ErrorResponse },
      },
    },
    async (request) => describeChatJob(await ownedJob(gateway.jobs, request, request.params.id, 'chat.complete')),
  );

  app.get<{ Params: Static<typeof ChatJobParams> }>(
    '/v1/chat/jobs/:id/events',
    {
      config: { behaviour: jobBehaviour },
      schema: {
        tags: ['Chat'],
        summary: 'Progress of an async chat job as server-sent events',
        description:
          'Events: `status` (the job now), `progress`, `retrying` ({attempt, error, retry_at}), then `completed` ' +
          '(the job with its result) or `failed` ({error}); the stream ends after either.',
        security: [{ bearer: [] }, {}],
        params: ChatJobParams,
      },
    },
    async (request, reply) => {
      const job = await ownedJob(gateway.jobs, request, request.params.id, 'chat.complete');
      await streamJobEvents(gateway.jobs, request, reply, job, describeChatJob);
    },
  );
}
