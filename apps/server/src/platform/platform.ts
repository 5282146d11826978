import { randomUUID } from 'node:crypto';
import { type Environment, type SwitchyardConfig, SwitchyardError } from '@switchyard/core';
import {
  createChatMessageRepository,
  createIdempotencyRepository,
  createImageRepository,
  type IdempotencyRepository,
} from '@switchyard/db';
import {
  createBullmqJobQueue,
  createEmbeddedJobQueue,
  type JobContext,
  type JobPayload,
  type JobQueue,
  type PlatformJobs,
  platformJobs,
} from '@switchyard/jobs';
import type { ChatMessage, ChatRequest } from '@switchyard/providers';
import { createObjectStore, type ObjectStore } from '@switchyard/storage';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createDocumentExtractor } from '../chat/document-extraction';
import type { Router } from '../routing/router';
import type { Databases } from '../runtime/databases';
import type { ModelRegistry } from '../runtime/model-registry';
import { createImageModels, type ImageModels } from './image-models';
import { createDatabaseImageQuota, createRedisImageQuota, type ImageQuota } from './image-quota';

export interface Platform {
  readonly jobs: JobQueue<PlatformJobs>;
  readonly storage: ObjectStore;
  readonly imageModels: ImageModels;
  readonly imageQuota: ImageQuota;
  readonly idempotency: IdempotencyRepository;
  /** Starts the job processors in this process (roles `all` and `worker`). */
  startProcessors(): Promise<void>;
  close(): Promise<void>;
}

export interface PlatformDependencies {
  config: SwitchyardConfig;
  logger: Logger;
  databases: Databases;
  redis: Redis | null;
  models: ModelRegistry;
  router: Router;
  /** Test hook: shorter retry schedules. */
  jobsCatalog?: PlatformJobs;
}

export const imageObjectKey = (environment: Environment, imageId: string) => `images/${environment}/${imageId}.png`;

/**
 * Jobs, object storage and image generation. The queue is BullMQ when Redis
 * is configured and the embedded database-backed queue otherwise; storage is
 * S3 when S3_BUCKET is set and a directory under the data dir otherwise.
 */
export async function createPlatform(dependencies: PlatformDependencies): Promise<Platform> {
  const { config, logger, databases, redis } = dependencies;
  const catalog = dependencies.jobsCatalog ?? platformJobs;
  const onError = (error: unknown, context?: unknown) => logger.error({ err: error, context }, 'job platform error');
  const jobs = config.redisUrl
    ? createBullmqJobQueue({ redisUrl: config.redisUrl, catalog, onError })
    : createEmbeddedJobQueue({ database: databases.prod, catalog, onError });

  const storageConfig = config.storage;
  const storage =
    storageConfig.kind === 'disk'
      ? createObjectStore({ kind: 'disk', root: storageConfig.root })
      : createObjectStore({
          kind: 's3',
          bucket: storageConfig.bucket,
          region: storageConfig.region,
          accessKeyId: storageConfig.accessKeyId,
          secretAccessKey: storageConfig.secretAccessKey,
          forcePathStyle: storageConfig.forcePathStyle,
          ...(storageConfig.endpoint ? { endpoint: storageConfig.endpoint } : {}),
        });
  if ('ensureBucket' in storage && typeof storage.ensureBucket === 'function') {
    await (storage.ensureBucket as () => Promise<void>)().catch((error: unknown) => {
      logger.warn({ err: error }, 'could not make sure the S3 bucket exists; /ready will report it');
    });
  }

  const imageModels = createImageModels(config);
  const envDatabases = { prod: databases.prod.db, dev: databases.dev.db };
  const imageQuota = redis ? createRedisImageQuota(redis, envDatabases) : createDatabaseImageQuota(envDatabases);
  const idempotency = createIdempotencyRepository(databases.prod.db);
  const purge = setInterval(() => void idempotency.purgeExpired().catch(() => {}), 3_600_000);
  purge.unref();

  async function startProcessors(): Promise<void> {
    await jobs.process('chat.complete', async ({ id, payload, signal, reportProgress }) => {
      const route = dependencies.models.resolve(payload.model);
      if (!route)
        throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `The model '${payload.model}' no longer exists`, {
          isRetryable: false,
        });
      await reportProgress({ stage: 'calling-model' });
      const request = {
        ...payload.params,
        model: route.id,
        messages: payload.messages as unknown as ChatMessage[],
      } as ChatRequest;
      const routed = await dependencies.router.complete(route, request, signal);
      const completion = { ...routed.value, served_by: routed.deployment.id };
      const answer = completion.choices[0]?.message.content;
      const lastUser = [...payload.messages].reverse().find((message) => message.role === 'user');
      // Deterministic ids: a retried job (at-least-once delivery) overwrites instead of duplicating.
      const messages = createChatMessageRepository(databases[payload.environment].db);
      await messages.upsertMany([
        {
          id: `${id}:user`,
          environment: payload.environment,
          apiKeyId: payload.apiKeyId,
          conversationId: payload.conversationId ?? id,
          role: 'user',
          content: typeof lastUser?.content === 'string' ? lastUser.content : JSON.stringify(lastUser?.content ?? ''),
          model: route.id,
        },
        {
          id: `${id}:assistant`,
          environment: payload.environment,
          apiKeyId: payload.apiKeyId,
          conversationId: payload.conversationId ?? id,
          role: 'assistant',
          content: typeof answer === 'string' ? answer : '',
          model: route.id,
          promptTokens: completion.usage?.prompt_tokens ?? null,
          completionTokens: completion.usage?.completion_tokens ?? null,
        },
      ]);
      return JSON.parse(JSON.stringify(completion));
    });

    await jobs.process('image.generate', async (context) => {
      try {
        return await generateImage(context);
      } catch (error) {
        // The last attempt (or a failure retrying cannot fix) leaves the image failed, with a reason a client can read.
        const final =
          context.attempt >= context.maxAttempts || !(error instanceof SwitchyardError && error.isRetryable);
        if (final) {
          await createImageRepository(databases[context.payload.environment].db).markFailed(
            context.payload.imageId,
            error instanceof Error ? error.message.slice(0, 500) : 'failed',
          );
        }
        throw error;
      }
    });
    await jobs.process('document.extract', createDocumentExtractor(databases, storage));
    logger.info({ backend: jobs.backend, workerId: jobs.workerId }, 'job processors started');
  }

  async function generateImage({
    payload,
    signal,
    reportProgress,
  }: JobContext<JobPayload<PlatformJobs, 'image.generate'>>) {
    {
      const images = createImageRepository(databases[payload.environment].db);
      await images.markRunning(payload.imageId);
      const model = imageModels.resolve(payload.model);
      const generated = await model.provider.generate(
        {
          prompt: payload.prompt,
          width: payload.width,
          height: payload.height,
          steps: payload.steps,
          ...(payload.negativePrompt ? { negativePrompt: payload.negativePrompt } : {}),
          ...(payload.seed !== undefined ? { seed: payload.seed } : {}),
        },
        { signal, onProgress: (fraction) => void reportProgress({ fraction }).catch(() => {}) },
      );
      const image = generated[0];
      if (!image) throw new SwitchyardError('SY_ERR_UPSTREAM', 'The image model returned no image');
      const objectKey = imageObjectKey(payload.environment, payload.imageId);
      await storage.put(objectKey, image.bytes, { contentType: image.mimeType });
      await images.markReady(payload.imageId, {
        objectKey,
        mimeType: image.mimeType,
        bytes: image.bytes.length,
        seed: image.seed ?? payload.seed ?? null,
      });
      return { imageId: payload.imageId, bytes: image.bytes.length, mimeType: image.mimeType };
    }
  }

  return {
    jobs,
    storage,
    imageModels,
    imageQuota,
    idempotency,
    startProcessors,
    async close() {
      clearInterval(purge);
      await jobs.close({ graceful: true, timeoutMs: config.shutdownTimeoutMs });
      await imageModels.close();
      if ('destroy' in storage && typeof storage.destroy === 'function') (storage.destroy as () => void)();
    },
  };
}

export const newImageId = () => `img_${randomUUID().replaceAll('-', '')}`;
