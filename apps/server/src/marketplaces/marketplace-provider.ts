import { SwitchyardError } from '@switchyard/core';

/** One product, the same shape whichever marketplace listed it. */
export interface MarketplaceProduct {
  readonly title: string;
  /** In major units (12.5 = 12.50), as the marketplace priced it. */
  readonly price: number;
  /** ISO 4217, e.g. `EUR`, `PLN`. */
  readonly currency: string;
  /** The offer's page on the marketplace. */
  readonly url: string;
  /** The primary image, or null when the listing has none. */
  readonly image: string | null;
  /** `ebay`, `allegro`, `amazon` or `olx`. */
  readonly marketplace: string;
  /** Average customer rating out of 5, or null where the API gives none. */
  readonly rating: number | null;
}

export interface MarketplaceQuery {
  readonly query: string;
  /** Inclusive bounds in major units of `currency`. */
  readonly priceMin?: number;
  readonly priceMax?: number;
  /** The currency the bounds are in (and results are preferred in); default the marketplace's own. */
  readonly currency?: string;
  /** At most this many products (marketplaces that page less are cut to their maximum). */
  readonly limit: number;
  readonly signal: AbortSignal;
}

export interface MarketplaceSearchResult {
  readonly products: readonly MarketplaceProduct[];
}

/**
 * A marketplace's product search behind one call. Failures are SwitchyardErrors: the marketplace is
 * rate limiting → SY_ERR_UPSTREAM_RATE_LIMITED (429, with its Retry-After as retryAfterSeconds);
 * it is down, silent past the time limit, broke its protocol or refused the credentials →
 * SY_ERR_APP_UNAVAILABLE (503) saying which. Messages name the marketplace, never a secret.
 */
export interface MarketplaceProvider {
  readonly marketplace: string;
  search(query: MarketplaceQuery): Promise<MarketplaceSearchResult>;
}

/** What every adapter gets: where the API is, a time limit, and a fetch (tests and proxies swap it). */
export interface MarketplaceProviderOptions {
  readonly baseURL?: string;
  /** Per request (token and search each); default 10 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch; tests move it to expire cached tokens. */
  readonly now?: () => number;
}

export const defaultMarketplaceTimeoutMs = 10_000;

/** Seconds from a Retry-After header (seconds or an HTTP date), or undefined. */
export function retryAfterOf(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(1, Math.ceil((date - now) / 1000));
}

export function unavailable(marketplace: string, reason: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError(
    'SY_ERR_APP_UNAVAILABLE',
    `Marketplace ${marketplace} is unavailable: ${reason}`,
    cause === undefined ? {} : { cause },
  );
}

/** The marketplace answered JSON of the wrong shape. */
export function garbled(marketplace: string, what: string): SwitchyardError {
  return unavailable(marketplace, `it answered without ${what}`);
}

export interface MarketplaceRequestInit {
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  /** What is being asked, for messages: `search` or `token`. */
  readonly purpose: string;
  /**
   * Statuses answered with a JSON body the caller reads itself instead of failing (PA-API answers
   * "no results" as a 404 with an error body).
   */
  readonly passStatuses?: readonly number[];
}

export interface MarketplaceResponse {
  readonly status: number;
  readonly body: unknown;
}

/**
 * Sends one request to a marketplace with its own time limit and turns every way it can fail into
 * a SwitchyardError that names the marketplace but never its credentials (no URL, header or body
 * of ours is ever quoted).
 */
export async function marketplaceRequest(
  marketplace: string,
  url: URL,
  init: MarketplaceRequestInit,
): Promise<MarketplaceResponse> {
  const deadline = AbortSignal.timeout(init.timeoutMs);
  const signal = AbortSignal.any([init.signal, deadline]);
  let response: Response;
  try {
    response = await init.fetch(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal,
      redirect: 'error',
    });
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason ?? error;
    const reason = deadline.aborted ? `no answer within ${init.timeoutMs} ms` : 'not reachable';
    throw unavailable(marketplace, `${init.purpose}: ${reason}`, error);
  }
  if (response.status === 429) {
    await response.body?.cancel().catch(() => {});
    const retryAfterSeconds = retryAfterOf(response.headers.get('retry-after'));
    throw new SwitchyardError(
      'SY_ERR_UPSTREAM_RATE_LIMITED',
      `Marketplace ${marketplace} is rate limiting Switchyard${retryAfterSeconds ? `; retry in ${retryAfterSeconds}s` : ''}`,
      retryAfterSeconds ? { retryAfterSeconds } : {},
    );
  }
  const passed = init.passStatuses?.includes(response.status) === true;
  if (!response.ok && !passed) {
    await response.body?.cancel().catch(() => {});
    const credentials = response.status === 401 || response.status === 403;
    throw unavailable(
      marketplace,
      credentials
        ? `it refused Switchyard's credentials (${init.purpose}, HTTP ${response.status})`
        : `${init.purpose}: HTTP ${response.status}`,
    );
  }
  try {
    return { status: response.status, body: await response.json() };
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason ?? error;
    if (deadline.aborted) throw unavailable(marketplace, `${init.purpose}: no answer within ${init.timeoutMs} ms`);
    throw unavailable(marketplace, `${init.purpose}: it answered with something not JSON`, error);
  }
}

/** A price the API gave as a number or a decimal string, or null when it cannot be read. */
export function priceOf(value: unknown): number | null {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(number) && number >= 0 ? number : null;
}

export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Only http(s) links reach a client: a marketplace's answer is not trusted to be a safe URL. */
export function webURLOf(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Builds a product from an API's fields, or null when it lacks a title, a price or a link. */
export function product(
  marketplace: string,
  fields: { title: unknown; price: unknown; currency: unknown; url: unknown; image: unknown; rating?: unknown },
): MarketplaceProduct | null {
  const title = textOf(fields.title).trim();
  const price = priceOf(fields.price);
  const currency = textOf(fields.currency).toUpperCase();
  const url = webURLOf(fields.url);
  if (!title || price === null || !/^[A-Z]{3}$/.test(currency) || !url) return null;
  const rating = typeof fields.rating === 'number' && fields.rating >= 0 && fields.rating <= 5 ? fields.rating : null;
  return { title, price, currency, url, image: webURLOf(fields.image), marketplace, rating };
}

/** The products that are priced within the query's bounds (when in its currency), at most `limit`. */
export function withinQuery(products: Array<MarketplaceProduct | null>, query: MarketplaceQuery): MarketplaceProduct[] {
  return products
    .filter((item): item is MarketplaceProduct => item !== null)
    .filter((item) => {
      if (query.currency && item.currency !== query.currency.toUpperCase()) return true;
      if (query.priceMin !== undefined && item.price < query.priceMin) return false;
      if (query.priceMax !== undefined && item.price > query.priceMax) return false;
      return true;
    })
    .slice(0, Math.max(0, query.limit));
}

export function baseOf(baseURL: string | undefined, fallback: string): string {
  return (baseURL ?? fallback).replace(/\/+$/, '');
}

export function requireOption(marketplace: string, name: string, value: string | undefined): string {
  if (!value) throw new SwitchyardError('SY_ERR_VALIDATION', `marketplaces: ${marketplace} needs ${name}`);
  return value;
}

/** The value at a path through an API's JSON, or undefined wherever the path breaks off. */
export function at(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
