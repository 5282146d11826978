import { SwitchyardError } from '@switchyard/core';

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
  readonly signal: AbortSignal;
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

/** Seconds from a Retry-After header (seconds or an HTTP date), or undefined. */
function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(1, Math.ceil((date - Date.now()) / 1000));
}

/**
 * The provider's own short reason from an error body: Brave's `{error: {code, detail}}`, Tavily's
 * `{detail: {error}}`. Never the whole body, which could echo the request.
 */
async function errorDetailOf(response: Response): Promise<string | undefined> {
  const raw = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const shaped = body as { error?: { code?: unknown; detail?: unknown }; detail?: { error?: unknown } } | null;
  const detail = [shaped?.error?.code, shaped?.detail?.error].find((value) => typeof value === 'string');
  return typeof detail === 'string' ? detail.slice(0, 200) : undefined;
}

/**
 * Sends one request to a provider with its own time limit and turns every way it can fail into a
 * SwitchyardError that names the provider but never its key.
 */
export async function providerRequest(
  provider: string,
  url: URL,
  init: RequestInit & { signal: AbortSignal; timeoutMs: number; fetch: typeof fetch },
): Promise<unknown> {
  const deadline = AbortSignal.timeout(init.timeoutMs);
  const signal = AbortSignal.any([init.signal, deadline]);
  let response: Response;
  try {
    response = await init.fetch(url, { ...init, signal });
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason ?? error;
    const reason = deadline.aborted ? `no answer within ${init.timeoutMs} ms` : 'not reachable';
    throw new SwitchyardError('SY_ERR_APP_UNAVAILABLE', `Web search (${provider}) is unavailable: ${reason}`, {
      cause: error,
    });
  }
  if (response.status === 429) {
    await response.body?.cancel().catch(() => {});
    const retryAfterSeconds =
      retryAfterOf(response.headers.get('retry-after')) ?? retryAfterOf(response.headers.get('x-ratelimit-reset'));
    throw new SwitchyardError(
      'SY_ERR_UPSTREAM_RATE_LIMITED',
      `Web search (${provider}) is rate limiting Switchyard${retryAfterSeconds ? `; retry in ${retryAfterSeconds}s` : ''}`,
      retryAfterSeconds ? { retryAfterSeconds } : {},
    );
  }
  if (!response.ok) {
    const detail = await errorDetailOf(response);
    const credentials = response.status === 401 || response.status === 403 || /token|api.?key|auth/i.test(detail ?? '');
    const reason = credentials
      ? `it refused Switchyard's credentials (HTTP ${response.status})`
      : `HTTP ${response.status}${detail ? ` (${detail})` : ''}`;
    throw new SwitchyardError('SY_ERR_APP_UNAVAILABLE', `Web search (${provider}) is unavailable: ${reason}`);
  }
  try {
    return await response.json();
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason ?? error;
    throw new SwitchyardError('SY_ERR_APP_UNAVAILABLE', `Web search (${provider}) answered with something not JSON`, {
      cause: error,
    });
  }
}

/** The provider answered JSON of the wrong shape. */
export function garbled(provider: string, what: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_APP_UNAVAILABLE', `Web search (${provider}) answered without ${what}`);
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
