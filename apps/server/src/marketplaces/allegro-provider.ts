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

export const allegroBaseURL = 'https://api.allegro.pl';
export const allegroAuthURL = 'https://allegro.pl';
export const allegroMediaType = 'application/vnd.allegro.public.v1+json';

export interface AllegroProviderOptions extends MarketplaceProviderOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Where `/auth/oauth/token` is (allegro.pl, or allegro.pl.allegrosandbox.pl); default allegro.pl. */
  readonly authURL?: string;
  /** Where offer pages are, `{siteURL}/oferta/{id}`; default the auth URL. */
  readonly siteURL?: string;
}

/**
 * Allegro REST API. A client-credentials token from `POST {authURL}/auth/oauth/token?grant_type=
 * client_credentials` (Basic client id:secret), cached until its `expires_in`; then `GET {baseURL}
 * /offers/listing?phrase=…&limit=…&price.from=…&price.to=…` with the bearer token and `Accept:
 * application/vnd.allegro.public.v1+json`. Offers are `items.promoted[]` then `items.regular[]` of
 * `{id, name, images: [{url}], sellingMode: {price: {amount, currency}}, vendor?: {url}}`; prices are
 * in PLN, so the price filter is sent only for PLN (or no currency). `limit` is at most 100.
 */
export function createAllegroProvider(options: AllegroProviderOptions): MarketplaceProvider {
  const clientId = requireOption('allegro', 'a clientId', options.clientId);
  const clientSecret = requireOption('allegro', 'a clientSecret', options.clientSecret);
  const base = baseOf(options.baseURL, allegroBaseURL);
  const authBase = baseOf(options.authURL, allegroAuthURL);
  const siteBase = baseOf(options.siteURL, authBase);
  const timeoutMs = options.timeoutMs ?? defaultMarketplaceTimeoutMs;
  const fetchImpl = options.fetch ?? fetch;
  const tokenURL = new URL(`${authBase}/auth/oauth/token`);
  tokenURL.searchParams.set('grant_type', 'client_credentials');
  const tokens = createOAuthTokenCache(
    'allegro',
    {
      url: tokenURL,
      headers: {
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
    },
    options.now ?? Date.now,
  );

  return {
    marketplace: 'allegro',
    async search(query) {
      const { signal } = query;
      const token = await tokens.token({ signal, timeoutMs, fetch: fetchImpl });
      const url = new URL(`${base}/offers/listing`);
      url.searchParams.set('phrase', query.query);
      url.searchParams.set('limit', String(Math.min(Math.max(query.limit, 1), 100)));
      if (!query.currency || query.currency.toUpperCase() === 'PLN') {
        if (query.priceMin !== undefined) url.searchParams.set('price.from', String(query.priceMin));
        if (query.priceMax !== undefined) url.searchParams.set('price.to', String(query.priceMax));
      }
      const { body } = await marketplaceRequest('allegro', url, {
        method: 'GET',
        headers: { accept: allegroMediaType, authorization: `Bearer ${token}` },
        signal,
        timeoutMs,
        fetch: fetchImpl,
        purpose: 'search',
      }).catch((error: unknown) => {
        if (error instanceof Error && /credentials/.test(error.message)) tokens.drop();
        throw error;
      });
      const items = at(body, 'items');
      if (items === null || typeof items !== 'object') throw garbled('allegro', 'an items object');
      const promoted = at(body, 'items', 'promoted') ?? [];
      const regular = at(body, 'items', 'regular') ?? [];
      if (!Array.isArray(promoted) || !Array.isArray(regular)) throw garbled('allegro', 'an items list');
      return {
        products: withinQuery(
          [...promoted, ...regular].map((offer: unknown) => {
            const id = at(offer, 'id');
            const page =
              at(offer, 'vendor', 'url') ??
              (typeof id === 'string' ? `${siteBase}/oferta/${encodeURIComponent(id)}` : null);
            return product('allegro', {
              title: at(offer, 'name'),
              price: at(offer, 'sellingMode', 'price', 'amount'),
              currency: at(offer, 'sellingMode', 'price', 'currency'),
              url: page,
              image: at(offer, 'images', 0, 'url'),
            });
          }),
          query,
        ),
      };
    },
  };
}
