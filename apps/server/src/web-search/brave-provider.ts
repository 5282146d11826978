import { SwitchyardError } from '@switchyard/core';
import {
  defaultSearchTimeoutMs,
  garbled,
  providerRequest,
  queryWithSites,
  result,
  type WebSearchProvider,
  type WebSearchProviderOptions,
  type WebSearchResult,
} from './web-search-provider';

export const braveBaseURL = 'https://api.search.brave.com/res/v1';

/**
 * Brave Search API: `GET {baseURL}/web/search?q=…&count=…&search_lang=…` with the key in
 * `X-Subscription-Token`. Results are `web.results[]` of `{title, url, description, page_age?}`;
 * `count` is at most 20.
 */
export function createBraveProvider(options: WebSearchProviderOptions): WebSearchProvider {
  if (!options.apiKey) throw new SwitchyardError('SY_ERR_VALIDATION', 'webSearch: brave needs an apiKey');
  const apiKey = options.apiKey;
  const base = (options.baseURL ?? braveBaseURL).replace(/\/+$/, '');
  return {
    type: 'brave',
    async search({ query, count, language, timeRange, sites, signal }) {
      const url = new URL(`${base}/web/search`);
      url.searchParams.set('q', queryWithSites(query, sites));
      url.searchParams.set('count', String(Math.min(Math.max(count, 1), 20)));
      if (language) url.searchParams.set('search_lang', language);
      // `freshness`: pd, pw, pm, py (past day, week, month, year).
      if (timeRange) url.searchParams.set('freshness', `p${timeRange[0]}`);
      const body = (await providerRequest('brave', url, {
        method: 'GET',
        headers: { accept: 'application/json', 'x-subscription-token': apiKey },
        signal,
        timeoutMs: options.timeoutMs ?? defaultSearchTimeoutMs,
        fetch: options.fetch ?? fetch,
      })) as { web?: { results?: unknown } };
      // A query with no web results has no `web` section at all.
      if (body === null || typeof body !== 'object') throw garbled('brave', 'a JSON object');
      const hits = body.web?.results ?? [];
      if (!Array.isArray(hits)) throw garbled('brave', 'a web.results list');
      return (hits as Array<Record<string, unknown>>)
        .map((hit) => result(hit?.title, hit?.url, hit?.description, hit?.page_age))
        .filter((hit): hit is WebSearchResult => hit !== null)
        .slice(0, count);
    },
  };
}
