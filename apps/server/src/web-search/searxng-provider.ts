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

/**
 * A SearXNG instance's JSON API: `GET {baseURL}/search?q=…&format=json` (the instance must list
 * `json` under `search.formats`, or it answers 403). It returns one page of results (~20 on most
 * instances) of `{url, title, content, publishedDate?}`; the count is cut here.
 */
export function createSearxngProvider(options: WebSearchProviderOptions): WebSearchProvider {
  if (!options.baseURL) throw new SwitchyardError('SY_ERR_VALIDATION', 'webSearch: searxng needs a baseURL');
  const base = options.baseURL.replace(/\/+$/, '');
  return {
    type: 'searxng',
    async search({ query, count, language, timeRange, sites, signal }) {
      const url = new URL(`${base}/search`);
      url.searchParams.set('q', queryWithSites(query, sites));
      url.searchParams.set('format', 'json');
      if (language) url.searchParams.set('language', language);
      // The API documents day, month and year; a week asks for the month (what is older is new anyway).
      if (timeRange) url.searchParams.set('time_range', timeRange === 'week' ? 'month' : timeRange);
      const body = (await providerRequest('searxng', url, {
        method: 'GET',
        headers: {
          accept: 'application/json',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        signal,
        timeoutMs: options.timeoutMs ?? defaultSearchTimeoutMs,
        fetch: options.fetch ?? fetch,
      })) as { results?: unknown };
      if (!Array.isArray(body?.results)) throw garbled('searxng', 'a results list');
      return (body.results as Array<Record<string, unknown>>)
        .map((hit) => result(hit?.title, hit?.url, hit?.content, hit?.publishedDate))
        .filter((hit): hit is WebSearchResult => hit !== null)
        .slice(0, count);
    },
  };
}
