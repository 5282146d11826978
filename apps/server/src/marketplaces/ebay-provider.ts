import {
  at,
  baseOf,
  defaultMarketplaceTimeoutMs,
  garbled,
  type MarketplaceProvider,
  type MarketplaceProviderOptions,
  marketplaceRequest,
  product,
  requireOption,
  withinQuery,
} from './marketplace-provider';
import { createOAuthTokenCache } from './oauth-token-cache';

export const ebayBaseURL = 'https://api.ebay.com';
export const ebayScope = 'https://api.ebay.com/oauth/api_scope';

export interface EbayProviderOptions extends MarketplaceProviderOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** The eBay site searched, sent as X-EBAY-C-MARKETPLACE-ID; default EBAY_DE. */
  readonly marketplaceId?: string;
}

/** The currency each eBay site prices in, used for the price filter when the query names none. */
const siteCurrencies: Record<string, string> = {
  EBAY_US: 'USD',
  EBAY_GB: 'GBP',
  EBAY_CA: 'CAD',
  EBAY_AU: 'AUD',
  EBAY_CH: 'CHF',
  EBAY_PL: 'PLN',
};

/** eBay's filter value for a price range: `price:[a..b]`, `price:[a]`, `price:[..b]`. */
export function ebayPriceFilter(
  priceMin: number | undefined,
  priceMax: number | undefined,
  currency: string,
): string | null {
  if (priceMin === undefined && priceMax === undefined) return null;
  const range =
    priceMax === undefined ? `${priceMin}` : priceMin === undefined ? `..${priceMax}` : `${priceMin}..${priceMax}`;
  return `price:[${range}],priceCurrency:${currency}`;
}

/**
 * eBay Browse API. An application token from `POST {baseURL}/identity/v1/oauth2/token` (Basic
 * client id:secret, form `grant_type=client_credentials&scope=https://api.ebay.com/oauth/api_scope`),
 * cached until its `expires_in`; then `GET {baseURL}/buy/browse/v1/item_summary/search?q=…&limit=…
 * &filter=price:[a..b],priceCurrency:EUR` with the bearer token and X-EBAY-C-MARKETPLACE-ID. Items
 * are `itemSummaries[]` of `{title, price: {value, currency}, itemWebUrl, image: {imageUrl}}`; an
 * item summary carries no product rating. `limit` is at most 200.
 */
export function createEbayProvider(options: EbayProviderOptions): MarketplaceProvider {
  const clientId = requireOption('ebay', 'a clientId', options.clientId);
  const clientSecret = requireOption('ebay', 'a clientSecret', options.clientSecret);
  const base = baseOf(options.baseURL, ebayBaseURL);
  const marketplaceId = options.marketplaceId ?? 'EBAY_DE';
  const timeoutMs = options.timeoutMs ?? defaultMarketplaceTimeoutMs;
  const fetchImpl = options.fetch ?? fetch;
  const tokens = createOAuthTokenCache(
    'ebay',
    {
      url: new URL(`${base}/identity/v1/oauth2/token`),
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: ebayScope }).toString(),
    },
    options.now ?? Date.now,
  );

  return {
    marketplace: 'ebay',
    async search(query) {
      const { signal } = query;
      const token = await tokens.token({ signal, timeoutMs, fetch: fetchImpl });
      const url = new URL(`${base}/buy/browse/v1/item_summary/search`);
      url.searchParams.set('q', query.query);
      url.searchParams.set('limit', String(Math.min(Math.max(query.limit, 1), 200)));
      const currency = (query.currency ?? siteCurrencies[marketplaceId] ?? 'EUR').toUpperCase();
      const filter = ebayPriceFilter(query.priceMin, query.priceMax, currency);
      if (filter) url.searchParams.set('filter', filter);
      const { body } = await marketplaceRequest('ebay', url, {
        method: 'GET',
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          'x-ebay-c-marketplace-id': marketplaceId,
        },
        signal,
        timeoutMs,
        fetch: fetchImpl,
        purpose: 'search',
      }).catch((error: unknown) => {
        // A token eBay revoked before its expiry is fetched afresh next time.
        if (error instanceof Error && /credentials/.test(error.message)) tokens.drop();
        throw error;
      });
      const shaped = body as { itemSummaries?: unknown } | null;
      if (shaped === null || typeof shaped !== 'object') throw garbled('ebay', 'a JSON object');
      // A search without matches has no itemSummaries at all.
      const items = shaped.itemSummaries ?? [];
      if (!Array.isArray(items)) throw garbled('ebay', 'an itemSummaries list');
      return {
        products: withinQuery(
          items.map((item: unknown) =>
            product('ebay', {
              title: at(item, 'title'),
              price: at(item, 'price', 'value'),
              currency: at(item, 'price', 'currency'),
              url: at(item, 'itemWebUrl'),
              image: at(item, 'image', 'imageUrl'),
            }),
          ),
          query,
        ),
      };
    },
  };
}
