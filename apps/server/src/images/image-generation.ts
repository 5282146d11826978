import { type Environment, SwitchyardError } from '@switchyard/core';
import { createImageRepository } from '@switchyard/db';
import type { Logger } from 'pino';
import type { ImageDependencies } from './image-dependencies';
import { newImageId } from './image-job';

export interface GenerationInput {
  prompt: string;
  negativePrompt?: string;
  model?: string;
  width: number;
  height: number;
  steps: number;
  seed?: number;
  /** The chat the image is made in (a gallery links back to it). */
  conversationId?: string;
}

/** Who asks for an image: quotas and rows are theirs. */
export interface ImageRequester {
  readonly environment: Environment;
  /** `key:<id>`, `user:<id>` or `ip:<address>`: the quota's subject and the image's owner. */
  readonly subject: string;
  readonly keyId: string | null;
  readonly logger: Pick<Logger, 'warn'>;
  /** The request asking (its X-Request-Id): stored with the job, whose log lines then carry it. */
  readonly requestId?: string;
  /** The requester's plan's daily image quota; undefined or null: setting ai.image.max_per_day_free.<env>. */
  readonly dailyLimit?: number | null;
}

/**
 * Takes one unit of the requester's daily quota, stores the image row and queues the job. Used by the
 * image routes and the built-in `images` app, so both count against the same quota.
 */
export async function startImageGeneration(
  dependencies: Pick<ImageDependencies, 'databases' | 'imageModels' | 'imageQuota' | 'jobs' | 'settings'>,
  { environment, subject, keyId, logger, dailyLimit, requestId }: ImageRequester,
  input: GenerationInput,
) {
  const model = dependencies.imageModels.resolve(input.model);
  const limit = dailyLimit ?? dependencies.settings.current().getInteger(`ai.image.max_per_day_free.${environment}`);
  const quota = await dependencies.imageQuota.take(environment, subject, limit);
  if (!quota.allowed) {
    const seconds = Math.max(1, Math.ceil((quota.resetsAt.getTime() - Date.now()) / 1000));
    throw new SwitchyardError(
      'SY_ERR_QUOTA_EXCEEDED',
      `Daily image quota of ${limit} reached in ${environment}; it resets at ${quota.resetsAt.toISOString()}`,
      { retryAfterSeconds: seconds },
    );
  }
  const id = newImageId();
  try {
    await createImageRepository(dependencies.databases[environment].db).create({
      id,
      environment,
      subject,
      apiKeyId: keyId,
      prompt: input.prompt,
      negativePrompt: input.negativePrompt ?? null,
      width: input.width,
      height: input.height,
      steps: input.steps,
      seed: input.seed ?? null,
      model: model.id,
      status: 'queued',
      jobId: id,
      conversationId: input.conversationId ?? null,
    });
    await dependencies.jobs.enqueue(
      'image.generate',
      {
        environment,
        subject,
        prompt: input.prompt,
        width: input.width,
        height: input.height,
        steps: input.steps,
        model: model.id,
        imageId: id,
        ...(input.negativePrompt ? { negativePrompt: input.negativePrompt } : {}),
        ...(input.seed !== undefined ? { seed: input.seed } : {}),
      },
      { environment, jobId: id, ...(requestId ? { trace: { requestId } } : {}) },
    );
  } catch (error) {
    // The image was not stored or not queued: the unit goes back to the day it was taken on.
    await dependencies.imageQuota.release(environment, subject, quota.day).catch((releaseError: unknown) => {
      logger.warn({ err: releaseError, environment, subject }, 'giving back an image quota unit failed');
    });
    throw error;
  }
  return { id, environment, model: model.id, quota };
}

/** Waits for an image job to finish (for the synchronous OpenAI-compatible route). */
export async function waitForImage(
  dependencies: Pick<ImageDependencies, 'jobs'>,
  id: string,
  signal: AbortSignal,
): Promise<void> {
  const jobs = dependencies.jobs;
  await new Promise<void>((resolve, reject) => {
    let stop: (() => void) | undefined;
    const settle = (error?: unknown) => {
      stop?.();
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => settle(new SwitchyardError('SY_ERR_UPSTREAM_TIMEOUT', 'The image was not ready in time'));
    signal.addEventListener('abort', onAbort, { once: true });
    void jobs
      .subscribe(id, (event) => {
        if (event.type === 'completed') settle();
        if (event.type === 'failed' && event.dead) {
          settle(new SwitchyardError('SY_ERR_UPSTREAM', event.error.message, { isRetryable: false }));
        }
      })
      .then(async (unsubscribe) => {
        stop = unsubscribe;
        const job = await jobs.get(id);
        if (job?.status === 'completed') settle();
        if (job?.status === 'dead') settle(new SwitchyardError('SY_ERR_UPSTREAM', job.lastError?.message ?? 'failed'));
      }, settle);
  });
}

/** A prompt as a Markdown image's alt text: one line, without the brackets that would end it early. */
export function markdownImageAlt(prompt: string): string {
  return (
    prompt
      .replace(/[[\]\s]+/g, ' ')
      .trim()
      .slice(0, 200) || 'Generated image'
  );
}
