import type { IdempotencyRepository } from '@switchyard/db';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { ChatExecution } from './chat-execution';
import type { ModelRegistry } from './model-registry';
import type { Router } from './router';

/** What the gateway's routes use: chat execution, embeddings, and the job queue for async chat. */
export interface GatewayDependencies extends ChatExecution {
  readonly models: Pick<ModelRegistry, 'resolve' | 'list' | 'defaultModelId'>;
  readonly router: Router;
  readonly jobs: PlatformJobQueue;
  readonly idempotency: IdempotencyRepository;
}
