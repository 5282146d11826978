import type { SwitchyardConfig } from '@switchyard/core';
import { createSafeFetcher, type HostResolver } from '../../infrastructure/safe-fetch';
import { version } from '../../version';
import { createBrightDataProfileSource } from './brightdata-profile-source';
import { defaultProfileMaxChars } from './collect-links';
import { createFetchProfileSource } from './fetch-profile-source';
import type { ProfileSource } from './profile-source';

export interface ProfileSources {
  /** The source `giftFinder.profile.source` names: the built-in fetch source unless it says `brightdata`. */
  readonly source: ProfileSource;
  /** Characters of text kept per page (`giftFinder.profile.maxChars`). */
  readonly maxChars: number;
  /** Releases the fetch source's connections. */
  close(): Promise<void>;
}

export interface ProfileSourceOverrides {
  /** Bright Data's HTTP client (tests). */
  readonly fetch?: typeof fetch;
  /** The fetch source's name resolver (tests). */
  readonly resolve?: HostResolver;
}

/**
 * The gift finder's profile source from the configuration. The built-in one fetches under the same
 * rules as the `web` app's fetch skill, `builtinApps.web` included (allowed networks, body size, time
 * limit), so one setting governs every page Switchyard reads for a user.
 */
export function createProfileSources(
  config: Pick<SwitchyardConfig, 'giftFinder' | 'builtinApps'>,
  overrides: ProfileSourceOverrides = {},
): ProfileSources {
  const profile = config.giftFinder?.profile ?? {};
  const maxChars = profile.maxChars ?? defaultProfileMaxChars;
  if (profile.source === 'brightdata' && profile.brightdata) {
    const brightdata = profile.brightdata;
    return {
      source: createBrightDataProfileSource({
        ...brightdata,
        maxChars,
        ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
      }),
      maxChars,
      close: async () => {},
    };
  }
  const web = config.builtinApps?.web;
  const fetcher = createSafeFetcher({
    allowedNetworks: web?.allowedNetworks ?? [],
    ...(web?.fetchMaxBytes ? { maxBytes: web.fetchMaxBytes } : {}),
    ...(web?.fetchTimeoutMs ? { timeoutMs: web.fetchTimeoutMs } : {}),
    ...(overrides.resolve ? { resolve: overrides.resolve } : {}),
    userAgent: `Switchyard/${version} (+gift finder)`,
  });
  return { source: createFetchProfileSource({ fetcher, maxChars }), maxChars, close: () => fetcher.close() };
}
