import { SwitchyardError } from '@switchyard/core';
import {
  defaultSearchTimeoutMs,
  garbled,
  providerRequest,
  result,
  type WebSearchProvider,
  type WebSearchProviderOptions,
  type WebSearchResult,
} from './web-search-provider';

export const tavilyBaseURL = 'https://api.tavily.com';

/**
 * Tavily: `POST {baseURL}/search` with `Authorization: Bearer tvly-…` and a JSON body
 * `{query, max_results}` (at most 20). Results are `results[]` of `{title, url, content, score,
 * published_date?}`. Tavily takes no language parameter; the language is ignored.
 */
export function createTavilyProvider(options: WebSearchProviderOptions): WebSearchProvider {
  if (!options.apiKey) throw new SwitchyardError('SY_ERR_VALIDATION', 'webSearch: tavily needs an apiKey');
  const apiKey = options.apiKey;
  const base = (options.baseURL ?? tavilyBaseURL).replace(/\/+$/, '');
  return {
    type: 'tavily',
    async search({ query, count, timeRange, sites, signal }) {
      const body = (await providerRequest('tavily', new URL(`${base}/search`), {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({
          query,
          max_results: Math.min(Math.max(count, 1), 20),
          search_depth: 'basic',
          ...(timeRange ? { time_range: timeRange } : {}),
          ...(sites && sites.length > 0 ? { include_domains: sites } : {}),
        }),
        signal,
        timeoutMs: options.timeoutMs ?? defaultSearchTimeoutMs,
        fetch: options.fetch ?? fetch,
      })) as { results?: unknown };
      if (!Array.isArray(body?.results)) throw garbled('tavily', 'a results list');
      return (body.results as Array<Record<string, unknown>>)
        .map((hit) => result(hit?.title, hit?.url, hit?.content, hit?.published_date))
        .filter((hit): hit is WebSearchResult => hit !== null)
        .slice(0, count);
    },
  };
}
