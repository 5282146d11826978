import type { AppRuntime, BuiltinAppsConfig, RateLimiter } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import { createImageRepository } from '@switchyard/db';
import type { Logger } from 'pino';
import type { ImageDependencies } from '../images/image-dependencies';
import { startImageGeneration, waitForImage } from '../images/image-generation';
import { type BuiltinSkill, createBuiltinApp, skillFailure } from './builtin-app';

export interface ImagesAppDependencies {
  readonly images: Pick<ImageDependencies, 'databases' | 'imageModels' | 'imageQuota' | 'jobs' | 'settings'>;
  readonly limiter: RateLimiter;
  /** Where users reach Switchyard: image URLs are absolute with it, paths without. */
  readonly publicUrl: string | null;
  readonly logger: Logger;
  readonly config: BuiltinAppsConfig['images'];
}

/** Making a picture takes longer than most skills: the app waits up to this for the job. */
export const defaultImagesTimeoutMs = 300_000;

function generateSkill({ images, limiter, publicUrl, logger }: ImagesAppDependencies): BuiltinSkill {
  return {
    definition: {
      name: 'generate',
      description:
        "Generate an image from a text prompt. Returns the image's URL. Counts against the caller's daily image quota.",
      inputSchema: {
        type: 'object',
        properties: {
          prompt: { type: 'string', minLength: 1, maxLength: 4000, description: 'What the image shows' },
          size: {
            type: 'string',
            enum: ['512x512', '768x768', '1024x1024', '1024x768', '768x1024', '1536x1024', '1024x1536'],
            description: 'WIDTHxHEIGHT (default 1024x1024)',
          },
          model: { type: 'string', minLength: 1, description: 'An image model id (default: the configured one)' },
        },
        required: ['prompt'],
        additionalProperties: false,
      },
    },
    async run({ environment, caller, input, signal }) {
      if (caller.scopes && !caller.scopes.includes('images')) {
        throw new SwitchyardError('SY_ERR_FORBIDDEN', "Generating images needs a key with the 'images' scope");
      }
      // The same per-minute limit and daily quota as POST /v1/images/generations, on the same buckets.
      const limit = images.settings.current().getInteger(`rate_limit.image.${environment}`);
      const decision = await limiter.hit(`image:${environment}:${caller.subject}`, limit);
      if (!decision.allowed) {
        const seconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
        throw new SwitchyardError(
          'SY_ERR_RATE_LIMITED',
          `Rate limit of ${decision.limit} image requests per minute reached in ${environment}; retry in ${seconds}s`,
          { retryAfterSeconds: seconds },
        );
      }
      const [width, height] = String(input.size ?? '1024x1024')
        .split('x')
        .map(Number) as [number, number];
      const started = await startImageGeneration(
        images,
        {
          environment,
          subject: caller.subject,
          keyId: caller.subject.startsWith('key:') ? caller.subject.slice(4) : null,
          logger,
        },
        {
          prompt: String(input.prompt),
          width,
          height,
          steps: 30,
          ...(typeof input.model === 'string' ? { model: input.model } : {}),
          ...(caller.conversationId ? { conversationId: caller.conversationId } : {}),
        },
      );
      try {
        await waitForImage(images, started.id, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        return skillFailure(`The image could not be made: ${(error as Error).message}`);
      }
      const row = await createImageRepository(images.databases[environment].db).findForSubject(
        started.id,
        caller.subject,
      );
      if (row?.status !== 'ready') return skillFailure(`The image could not be made: ${row?.error ?? 'it failed'}`);
      const url = `${publicUrl ?? ''}/v1/image/${row.id}/content`;
      return [
        `Image ready: ${url}`,
        `id ${row.id}, model ${row.model}, ${row.width}x${row.height}`,
        `Daily image quota: ${started.quota.used} of ${started.quota.limit} used.`,
      ].join('\n');
    },
  };
}

/** The built-in `images` app: `generate` through the image platform (offered when an image model is configured). */
export function createImagesApp(dependencies: ImagesAppDependencies): AppRuntime {
  const config = dependencies.config;
  return createBuiltinApp({
    id: 'images',
    name: 'Images',
    description: 'Generate images from text.',
    environments: config?.environments,
    timeoutMs: config?.timeoutMs ?? defaultImagesTimeoutMs,
    maxOutputBytes: config?.maxOutputBytes,
    skills: dependencies.images.imageModels.list().length > 0 ? [generateSkill(dependencies)] : [],
  });
}
