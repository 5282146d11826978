import type { SwitchyardConfig } from '@switchyard/core';
import type { ModelRegistry, Router } from '@switchyard/routing';
import type { Logger } from 'pino';
import type { PlatformEventBus } from '../events/event-bus';
import type { Databases } from '../infrastructure/databases';
import { createMarketplaceProviders, type MarketplacesConfig } from '../marketplaces/create-marketplace-providers';
import type { MarketplaceProvider } from '../marketplaces/marketplace-provider';
import { createFetchService } from './fetch-service';
import { createGiftModel } from './gift-model';
import type { GiftServiceContext } from './gift-service-context';
import { createIdeasService } from './ideas-service';
import { createInterviewService } from './interview-service';
import type { ProfileSource } from './profile/profile-source';
import { createProfileAnalysisService } from './profile-analysis';
import { createRerankService } from './rerank-service';
import { createSessionProjection } from './session-projection';

/** The services a worker can run (`switchyard worker --services interview,fetch`); all by default. */
export const giftFinderServiceNames = ['interview', 'profile', 'ideas', 'fetch', 'rerank'] as const;
export type GiftFinderServiceName = (typeof giftFinderServiceNames)[number];

/** Reads `--services a,b`: SY_ERR_VALIDATION naming an unknown one. */
export function parseGiftServices(value: string | undefined): GiftFinderServiceName[] {
  if (value === undefined || value.trim() === '' || value.trim() === 'all') return [...giftFinderServiceNames];
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!giftFinderServiceNames.includes(name as GiftFinderServiceName)) {
      throw new Error(`unknown service '${name}' (one of ${giftFinderServiceNames.join(', ')})`);
    }
  }
  return [...new Set(names)] as GiftFinderServiceName[];
}

export interface GiftFinderServiceDependencies {
  readonly config: SwitchyardConfig;
  readonly bus: PlatformEventBus;
  readonly databases: Databases;
  readonly models: Pick<ModelRegistry, 'resolve'>;
  readonly router: Pick<Router, 'complete'>;
  readonly logger: Pick<Logger, 'warn' | 'info' | 'child'>;
  readonly mode: 'embedded' | 'server';
  /** Where profile pages are read; none: links are reported as not readable, pasted text still works. */
  readonly profileSources?: readonly ProfileSource[];
  /** Test hook: marketplaces other than the configured ones. */
  readonly marketplaces?: readonly MarketplaceProvider[];
  /** Test hook: a clock to move past a Retry-After. */
  readonly now?: () => Date;
}

/**
 * Subscribes the consumer groups of the named services on this process's bus; the read model of
 * the API (gift-sessions) is always kept by every worker, like the flow log.
 */
export async function startGiftFinderServices(
  dependencies: GiftFinderServiceDependencies,
  services: readonly GiftFinderServiceName[] = giftFinderServiceNames,
): Promise<void> {
  const { config } = dependencies;
  if (config.giftFinder.enabled === false) return;
  const context: GiftServiceContext = {
    bus: dependencies.bus,
    databases: dependencies.databases,
    useRoles: dependencies.mode === 'server' && config.giftFinder.serviceRoles === true,
    logger: dependencies.logger,
    now: dependencies.now ?? (() => new Date()),
  };
  const model = createGiftModel({ models: dependencies.models, router: dependencies.router, config });
  await createSessionProjection(context).subscribe();
  if (services.includes('interview'))
    await createInterviewService(context, model, config.giftFinder.maxQuestions ?? 5).subscribe();
  if (services.includes('profile')) {
    await createProfileAnalysisService(context, model, dependencies.profileSources ?? []).subscribe();
  }
  if (services.includes('ideas')) await createIdeasService(context, model, config.giftFinder.maxIdeas ?? 5).subscribe();
  if (services.includes('fetch')) {
    const providers =
      dependencies.marketplaces ?? createMarketplaceProviders(config.marketplaces as MarketplacesConfig);
    await createFetchService(context, providers, config.giftFinder).subscribe();
  }
  if (services.includes('rerank')) await createRerankService(context, model).subscribe();
}
