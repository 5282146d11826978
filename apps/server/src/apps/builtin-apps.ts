import type { AppRuntime, RateLimiter, SwitchyardConfig } from '@switchyard/core';
import type { Logger } from 'pino';
import type { ImageDependencies } from '../images/image-dependencies';
import type { Databases } from '../infrastructure/databases';
import { createSafeFetcher } from '../infrastructure/safe-fetch';
import { version } from '../version';
import { createWebSearchProvider } from '../web-search/create-web-search-provider';
import { createFilesApp } from './builtin-files-app';
import { createImagesApp } from './builtin-images-app';
import { createWebApp } from './builtin-web-app';

export interface BuiltinAppsDependencies {
  readonly config: SwitchyardConfig;
  readonly databases: Databases;
  readonly images: Pick<ImageDependencies, 'databases' | 'imageModels' | 'imageQuota' | 'jobs' | 'settings'>;
  readonly limiter: RateLimiter;
  readonly logger: Logger;
}

/** The built-in apps the config leaves on (all three by default), for the app registry. */
export function createBuiltinApps({
  config,
  databases,
  images,
  limiter,
  logger,
}: BuiltinAppsDependencies): AppRuntime[] {
  const settings = config.builtinApps;
  const apps: AppRuntime[] = [];
  if (settings.web?.enabled !== false) {
    apps.push(
      createWebApp({
        search: createWebSearchProvider(config.webSearch),
        fetcher: createSafeFetcher({
          allowedNetworks: settings.web?.allowedNetworks ?? [],
          ...(settings.web?.fetchMaxBytes ? { maxBytes: settings.web.fetchMaxBytes } : {}),
          ...(settings.web?.fetchTimeoutMs ? { timeoutMs: settings.web.fetchTimeoutMs } : {}),
          userAgent: `Switchyard/${version} (+fetch skill)`,
        }),
        config: settings.web,
      }),
    );
  }
  if (settings.images?.enabled !== false) {
    apps.push(createImagesApp({ images, limiter, publicUrl: config.publicUrl, logger, config: settings.images }));
  }
  if (settings.files?.enabled !== false) apps.push(createFilesApp({ databases, config: settings.files }));
  return apps;
}
