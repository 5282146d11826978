import { createAllegroProvider } from './allegro-provider';
import { createAmazonProvider } from './amazon-provider';
import { createEbayProvider } from './ebay-provider';
import type { MarketplaceProvider } from './marketplace-provider';
import { createOlxProvider } from './olx-provider';

/** The `marketplaces:` config section proposed in docs/marketplaces.md; each entry optional. */
export interface MarketplacesConfig {
  readonly ebay?: Parameters<typeof createEbayProvider>[0];
  readonly allegro?: Parameters<typeof createAllegroProvider>[0];
  readonly amazon?: Parameters<typeof createAmazonProvider>[0];
  readonly olx?: Parameters<typeof createOlxProvider>[0];
}

/** One provider per configured marketplace, in a stable order. */
export function createMarketplaceProviders(config: MarketplacesConfig): MarketplaceProvider[] {
  return [
    ...(config.ebay ? [createEbayProvider(config.ebay)] : []),
    ...(config.allegro ? [createAllegroProvider(config.allegro)] : []),
    ...(config.amazon ? [createAmazonProvider(config.amazon)] : []),
    ...(config.olx ? [createOlxProvider(config.olx)] : []),
  ];
}
