import type { SecretScrubber } from '@switchyard/core';
import type { IdempotencyRepository } from '@switchyard/db';
import type { ModelRegistry, Router } from '@switchyard/routing';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { ChatExecution } from './chat-execution';

/** What the gateway's routes use: chat execution, embeddings, and the job queue for async chat. */
export interface GatewayDependencies extends ChatExecution {
  readonly models: Pick<ModelRegistry, 'resolve' | 'list' | 'defaultModelId'>;
  readonly router: Router;
  readonly jobs: PlatformJobQueue;
  readonly idempotency: IdempotencyRepository;
  /** Scrubs configured secrets from the error events of streams. */
  readonly secrets: SecretScrubber;
}
