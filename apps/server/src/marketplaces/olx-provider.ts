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
  textOf,
  withinQuery,
} from './marketplace-provider';
import { createOAuthTokenCache } from './oauth-token-cache';

export const olxBaseURL = 'https://www.olx.pl';

export interface OlxProviderOptions extends MarketplaceProviderOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /**
   * A user's refresh token (from the authorization-code flow). The partner API lists adverts only
   * in a user's context; without one a client-context token (client_credentials) is used.
   */
  readonly refreshToken?: string;
}

/** How many adverts one listing request asks for before matching them locally. */
const pageSize = 100;

function matches(title: string, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const haystack = title.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/**
 * OLX Partner API v2 (one site per country: www.olx.pl, www.olx.ro, www.olx.pt, …). A token from
 * `POST {baseURL}/api/open/oauth/token` with a JSON body `{grant_type, client_id, client_secret,
 * scope: 'v2 read'}` (grant `refresh_token` when a user's refresh token is configured, else
 * `client_credentials`), cached until its `expires_in`; every call carries `Authorization: Bearer`
 * and `Version: 2.0`. The partner API documents no search over all of OLX: `GET {baseURL}/api/
 * partner/adverts?offset=0&limit=100` lists the adverts of the account, `{data: [{id, status, url,
 * title, images: [{url}], price: {value, currency}}]}`, and this adapter keeps the active ones whose
 * title holds every word of the query, within the price bounds.
 */
export function createOlxProvider(options: OlxProviderOptions): MarketplaceProvider {
  const clientId = requireOption('olx', 'a clientId', options.clientId);
  const clientSecret = requireOption('olx', 'a clientSecret', options.clientSecret);
  const base = baseOf(options.baseURL, olxBaseURL);
  const timeoutMs = options.timeoutMs ?? defaultMarketplaceTimeoutMs;
  const fetchImpl = options.fetch ?? fetch;
  const grant = options.refreshToken
    ? { grant_type: 'refresh_token', refresh_token: options.refreshToken }
    : { grant_type: 'client_credentials' };
  const tokens = createOAuthTokenCache(
    'olx',
    {
      url: new URL(`${base}/api/open/oauth/token`),
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ ...grant, client_id: clientId, client_secret: clientSecret, scope: 'v2 read' }),
    },
    options.now ?? Date.now,
  );

  return {
    marketplace: 'olx',
    async search(query) {
      const { signal } = query;
      const token = await tokens.token({ signal, timeoutMs, fetch: fetchImpl });
      const url = new URL(`${base}/api/partner/adverts`);
      url.searchParams.set('offset', '0');
      url.searchParams.set('limit', String(pageSize));
      const { body } = await marketplaceRequest('olx', url, {
        method: 'GET',
        headers: { accept: 'application/json', authorization: `Bearer ${token}`, version: '2.0' },
        signal,
        timeoutMs,
        fetch: fetchImpl,
        purpose: 'search',
      }).catch((error: unknown) => {
        if (error instanceof Error && /credentials/.test(error.message)) tokens.drop();
        throw error;
      });
      const adverts = at(body, 'data');
      if (!Array.isArray(adverts)) throw garbled('olx', 'a data list');
      return {
        products: withinQuery(
          adverts
            .filter((advert: unknown) => {
              const status = at(advert, 'status');
              return (status === undefined || status === 'active') && matches(textOf(at(advert, 'title')), query.query);
            })
            .map((advert: unknown) =>
              product('olx', {
                title: at(advert, 'title'),
                price: at(advert, 'price', 'value'),
                currency: at(advert, 'price', 'currency'),
                url: at(advert, 'url'),
                image: at(advert, 'images', 0, 'url'),
              }),
            ),
          query,
        ),
      };
    },
  };
}
