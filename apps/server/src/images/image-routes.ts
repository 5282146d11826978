import {
  ErrorResponse,
  GenerateImageRequest,
  ImageModelList,
  ImageQuota,
  ImageStatus,
  OpenAIErrorResponse,
  OpenAIImageRequest,
  ShortIdParams,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import { createImageRepository } from '@switchyard/db';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { runIdempotent } from '../edge/idempotency';
import type { RouteBehaviour } from '../edge/principal';
import type { ImageDependencies } from './image-dependencies';
import { type GenerationInput, startImageGeneration, waitForImage } from './image-generation';

const imageBehaviour: RouteBehaviour = { auth: 'optional', rateLimit: 'image' };
const readBehaviour: RouteBehaviour = { auth: 'optional', scope: 'images' };

/** Takes one unit of the caller's daily quota, stores the image row and queues the job. */
async function startGeneration(dependencies: ImageDependencies, request: FastifyRequest, input: GenerationInput) {
  const principal = request.principal;
  const started = await startImageGeneration(
    dependencies,
    {
      environment: principal?.environment ?? 'prod',
      subject: principal?.subject ?? `ip:${request.ip}`,
      keyId: principal?.keyId ?? null,
      logger: request.log,
      requestId: request.id,
      dailyLimit: request.plan?.plan.imagesPerDay ?? null,
    },
    input,
  );
  request.usageInfo = { model: started.model, promptTokens: null, completionTokens: null, images: 1 };
  return started;
}

async function ownedImage(dependencies: ImageDependencies, request: FastifyRequest, id: string) {
  const environment = request.principal?.environment ?? 'prod';
  const subject = request.principal?.subject ?? `ip:${request.ip}`;
  const row = await createImageRepository(dependencies.databases[environment].db).findForSubject(id, subject);
  // Another key's or environment's image is indistinguishable from one that does not exist.
  if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No image with id '${id}'`);
  return row;
}

function describeImage(row: Awaited<ReturnType<typeof ownedImage>>) {
  return {
    id: row.id,
    status: row.status as 'queued' | 'running' | 'ready' | 'failed',
    environment: row.environment,
    model: row.model,
    prompt: row.prompt,
    width: row.width,
    height: row.height,
    seed: row.seed,
    url: row.status === 'ready' ? `/v1/image/${row.id}/content` : null,
    error: row.error,
    created_at: row.createdAt.toISOString(),
    finished_at: row.finishedAt ? row.finishedAt.toISOString() : null,
  };
}

async function sendImageBytes(
  dependencies: ImageDependencies,
  reply: FastifyReply,
  objectKey: string,
): Promise<FastifyReply> {
  const { info, body } = await dependencies.storage.getBuffer(objectKey);
  return reply
    .type(info.contentType || 'image/png')
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, max-age=86400')
    .send(body);
}

/** Seed 000's image API plus the OpenAI-compatible one, on the job platform. */
export function registerImageRoutes(app: FastifyInstance, dependencies: ImageDependencies): void {
  app.post<{ Body: GenerateImageRequest }>(
    '/v1/image/generate',
    {
      config: { behaviour: imageBehaviour },
      schema: {
        tags: ['Images'],
        summary: 'Queue an image generation (counts against the daily quota)',
        description:
          'Answers 202 with the image id at once; poll GET /v1/image/{id}. Send `Idempotency-Key` to make retries safe. ' +
          'Quota per key (or client IP) and day: the settings ai.image.max_per_day_free.<env>; over it: 429 SY_ERR_QUOTA_EXCEEDED.',
        security: [{ bearer: [] }, {}],
        body: GenerateImageRequest,
        response: { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) =>
      runIdempotent(dependencies.idempotency, request, reply, async () => {
        const body = request.body;
        const started = await startGeneration(dependencies, request, {
          prompt: body.prompt,
          width: body.width ?? 1024,
          height: body.height ?? 1024,
          steps: body.steps ?? 30,
          ...(body.negative_prompt ? { negativePrompt: body.negative_prompt } : {}),
          ...(body.model ? { model: body.model } : {}),
          ...(body.seed !== undefined ? { seed: body.seed } : {}),
        });
        return {
          status: 202,
          headers: { location: `/v1/image/${started.id}` },
          body: {
            id: started.id,
            status: 'queued',
            model: started.model,
            environment: started.environment,
            status_url: `/v1/image/${started.id}`,
            quota: {
              used: started.quota.used,
              limit: started.quota.limit,
              resets_at: started.quota.resetsAt.toISOString(),
            },
          },
        };
      }),
  );

  app.get(
    '/v1/image/quota',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Images'],
        summary: "The caller's daily image quota in its environment",
        security: [{ bearer: [] }, {}],
        response: {
          200: ImageQuota,
        },
      },
    },
    async (request) => {
      const environment = request.principal?.environment ?? 'prod';
      const subject = request.principal?.subject ?? `ip:${request.ip}`;
      const limit =
        request.plan?.plan.imagesPerDay ??
        dependencies.settings.current().getInteger(`ai.image.max_per_day_free.${environment}`);
      const usage = await dependencies.imageQuota.usage(environment, subject, limit);
      return {
        environment,
        used: usage.used,
        limit,
        remaining: Math.max(0, limit - usage.used),
        resets_at: usage.resetsAt.toISOString(),
      };
    },
  );

  app.get<{ Params: Static<typeof ShortIdParams> }>(
    '/v1/image/:id',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Images'],
        summary: 'Status of an image, with its URL once ready',
        description: "Only within the caller's environment and for the caller: another key's image is 404.",
        security: [{ bearer: [] }, {}],
        params: ShortIdParams,
        response: { 200: ImageStatus, 404: ErrorResponse },
      },
    },
    async (request) => describeImage(await ownedImage(dependencies, request, request.params.id)),
  );

  app.get<{ Params: Static<typeof ShortIdParams> }>(
    '/v1/image/:id/content',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Images'],
        summary: 'The image bytes (PNG)',
        security: [{ bearer: [] }, {}],
        params: ShortIdParams,
      },
    },
    async (request, reply) => {
      const row = await ownedImage(dependencies, request, request.params.id);
      if (row.status !== 'ready' || !row.objectKey) {
        throw new SwitchyardError('SY_ERR_CONFLICT', `The image is ${row.status}, not ready yet`, {
          retryAfterSeconds: 2,
        });
      }
      return sendImageBytes(dependencies, reply, row.objectKey);
    },
  );

  app.post<{ Body: OpenAIImageRequest }>(
    '/v1/images/generations',
    {
      config: { behaviour: { ...imageBehaviour, openaiErrors: true } },
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Create an image (waits for it)',
        description: 'OpenAI images request and response; `n` must be 1. Runs as a job and waits up to 5 minutes.',
        security: [{ bearer: [] }, {}],
        body: OpenAIImageRequest,
        response: { 400: OpenAIErrorResponse, 401: OpenAIErrorResponse, 429: OpenAIErrorResponse },
      },
    },
    async (request, reply) =>
      runIdempotent(dependencies.idempotency, request, reply, async () => {
        const body = request.body;
        const [width, height] = (body.size ?? '1024x1024').split('x').map(Number);
        if (!width || !height || width < 256 || height < 256 || width > 2048 || height > 2048) {
          throw new SwitchyardError('SY_ERR_VALIDATION', 'size must be WIDTHxHEIGHT, each from 256 to 2048', {
            details: { param: 'size' },
          });
        }
        const started = await startGeneration(dependencies, request, {
          prompt: body.prompt,
          width,
          height,
          steps: 30,
          ...(body.model ? { model: body.model } : {}),
        });
        await waitForImage(dependencies, started.id, AbortSignal.timeout(300_000));
        const row = await ownedImage(dependencies, request, started.id);
        const created = Math.floor(Date.now() / 1000);
        if (body.response_format === 'url') {
          const origin = `${request.protocol}://${request.host}`;
          return { status: 200, body: { created, data: [{ url: `${origin}/v1/image/${row.id}/content` }] } };
        }
        const { body: bytes } = await dependencies.storage.getBuffer(row.objectKey ?? '');
        return {
          status: 200,
          body: { created, data: [{ b64_json: bytes.toString('base64'), revised_prompt: row.prompt }] },
        };
      }),
  );

  app.get(
    '/v1/image/models',
    {
      config: { behaviour: { auth: 'none' } },
      schema: {
        tags: ['Images'],
        summary: 'Image models',
        response: {
          200: ImageModelList,
        },
      },
    },
    async () => ({
      default: dependencies.imageModels.defaultId,
      models: dependencies.imageModels.list().map((model) => ({ id: model.id, label: model.label, type: model.type })),
    }),
  );
}
