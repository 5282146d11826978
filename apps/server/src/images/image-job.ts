import { randomUUID } from 'node:crypto';
import { type Environment, type SecretScrubber, SwitchyardError } from '@switchyard/core';
import { createImageRepository } from '@switchyard/db';
import type { JobContext, JobPayload, PlatformJobs } from '@switchyard/jobs';
import type { ObjectStore } from '@switchyard/storage';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { ImageModels } from './image-models';

export const imageObjectKey = (environment: Environment, imageId: string) => `images/${environment}/${imageId}.png`;

export const newImageId = () => `img_${randomUUID().replaceAll('-', '')}`;

export interface ImageJobDependencies {
  readonly databases: Databases;
  readonly storage: ObjectStore;
  readonly imageModels: ImageModels;
  /** Scrubs configured secrets from the failure reason stored on the image. */
  readonly secrets: SecretScrubber;
}

/** `image.generate`: runs the image model, stores the picture, and marks the image ready (or failed on the last try). */
export async function registerImageJob(jobs: PlatformJobQueue, dependencies: ImageJobDependencies): Promise<void> {
  const { databases, storage, imageModels, secrets } = dependencies;
  await jobs.process('image.generate', async (context) => {
    try {
      return await generateImage(context);
    } catch (error) {
      // The last attempt (or a failure retrying cannot fix) leaves the image failed, with a reason a client can read.
      const final = context.attempt >= context.maxAttempts || !(error instanceof SwitchyardError && error.isRetryable);
      if (final) {
        await createImageRepository(databases[context.payload.environment].db).markFailed(
          context.payload.imageId,
          error instanceof Error ? secrets.scrub(error.message).slice(0, 500) : 'failed',
        );
      }
      throw error;
    }
  });
  async function generateImage({
    payload,
    signal,
    reportProgress,
  }: JobContext<JobPayload<PlatformJobs, 'image.generate'>>) {
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
