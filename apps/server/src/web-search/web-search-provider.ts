import type { SwitchyardError } from '@switchyard/core';
import { upstreamJsonRequest, upstreamUnavailable } from '../infrastructure/upstream-json';

/** One hit, the same shape whichever provider found it. */
export interface WebSearchResult {
  readonly title: string;
  readonly url: string;
  readonly snippet: string;
  /** ISO 8601 when the provider dates the page. */
  readonly published_at?: string;
}

export interface WebSearchQuery {
  readonly query: string;
  /** At most this many results (providers that return a fixed page are cut to it). */
  readonly count: number;
  /** A language code such as `en` or `de`, where the provider supports one. */
  readonly language?: string;
  /** Only pages from the last day, week, month or year, where the provider supports it. */
  readonly timeRange?: 'day' | 'week' | 'month' | 'year';
  /** Only pages on these hosts (e.g. `example.com`). */
  readonly sites?: readonly string[];
  readonly signal: AbortSignal;
}

/** The query with `site:` operators for providers that take them in the query text (SearXNG, Brave). */
export function queryWithSites(query: string, sites: readonly string[] | undefined): string {
  if (!sites || sites.length === 0) return query;
  const operators = sites.map((site) => `site:${site}`);
  return `${query} ${operators.length === 1 ? operators[0] : `(${operators.join(' OR ')})`}`;
}

/**
 * A web-search API (SearXNG, Brave, Tavily) behind one call. Failures are SwitchyardErrors: the
 * provider is down or broke its protocol → SY_ERR_APP_UNAVAILABLE (503); it is rate limiting →
 * SY_ERR_UPSTREAM_RATE_LIMITED (429, with its Retry-After); it refused the key → SY_ERR_APP_UNAVAILABLE
 * saying so. Shared by the `web` app's search skill and recurring searches.
 */
export interface WebSearchProvider {
  /** `searxng`, `brave` or `tavily`. */
  readonly type: string;
  search(query: WebSearchQuery): Promise<readonly WebSearchResult[]>;
}

/** What every adapter gets: where the API is, its key, and a fetch (tests and proxies swap it). */
export interface WebSearchProviderOptions {
  readonly baseURL?: string;
  readonly apiKey?: string;
  /** Per search; default 15 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export const defaultSearchTimeoutMs = 15_000;

/**
 * The provider's own short reason from an error body: Brave's `{error: {code, detail}}`, Tavily's
 * `{detail: {error}}`.
 */
function errorDetailOf(body: unknown): string | undefined {
  const shaped = body as { error?: { code?: unknown }; detail?: { error?: unknown } } | null;
  const detail = [shaped?.error?.code, shaped?.detail?.error].find((value) => typeof value === 'string');
  return typeof detail === 'string' ? detail : undefined;
}

/**
 * Sends one request to a provider with its own time limit and turns every way it can fail into a
 * SwitchyardError that names the provider but never its key.
 */
export async function providerRequest(
  provider: string,
  url: URL,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string } & {
    signal: AbortSignal;
    timeoutMs: number;
    fetch: typeof fetch;
  },
): Promise<unknown> {
  return (await upstreamJsonRequest(`Web search (${provider})`, url, { ...init, errorDetail: errorDetailOf })).body;
}

/** The provider answered JSON of the wrong shape. */
export function garbled(provider: string, what: string): SwitchyardError {
  return upstreamUnavailable(`Web search (${provider})`, `it answered without ${what}`);
}

export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A date the provider gave, as ISO 8601; undefined when there is none or it cannot be read. */
export function isoDate(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

export function result(title: unknown, url: unknown, snippet: unknown, published: unknown): WebSearchResult | null {
  if (typeof url !== 'string' || url === '') return null;
  const publishedAt = isoDate(published);
  return {
    title: text(title) || url,
    url,
    snippet: text(snippet),
    ...(publishedAt ? { published_at: publishedAt } : {}),
  };
}
