import type { RateLimiter, SwitchyardConfig } from '@switchyard/core';
import type { ObjectStore } from '@switchyard/storage';
import type { Redis } from 'ioredis';
import type { Databases } from '../infrastructure/databases';
import type { Metrics } from '../infrastructure/metrics';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { SettingsStore } from '../settings/settings-store';

/** What health, readiness, metrics and status look at. */
export interface OperationsDependencies {
  readonly mode: 'embedded' | 'server';
  readonly role: 'all' | 'api' | 'worker';
  readonly config: Pick<SwitchyardConfig, 'metricsToken'>;
  readonly databases: Databases;
  readonly redis: Pick<Redis, 'ping'> | null;
  readonly storage: Pick<ObjectStore, 'ping'>;
  readonly jobs: Pick<PlatformJobQueue, 'heartbeats'>;
  readonly metrics: Pick<Metrics, 'registry'>;
  readonly settings: Pick<SettingsStore, 'current'>;
  /** /v1/status reports the caller's remaining requests without counting one. */
  readonly limiter: Pick<RateLimiter, 'peek'>;
}
