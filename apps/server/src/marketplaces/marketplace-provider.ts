import { SwitchyardError } from '@switchyard/core';
import {
  type UpstreamJsonInit,
  type UpstreamJsonResponse,
  upstreamJsonRequest,
  upstreamUnavailable,
} from '../infrastructure/upstream-json';

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

export function unavailable(marketplace: string, reason: string, cause?: unknown): SwitchyardError {
  return upstreamUnavailable(`Marketplace ${marketplace}`, reason, cause);
}

/** The marketplace answered JSON of the wrong shape. */
export function garbled(marketplace: string, what: string): SwitchyardError {
  return unavailable(marketplace, `it answered without ${what}`);
}

export type MarketplaceRequestInit = UpstreamJsonInit & {
  /** What is being asked, for messages: `search` or `token`. */
  readonly purpose: string;
};

/**
 * Sends one request to a marketplace with its own time limit and turns every way it can fail into
 * a SwitchyardError that names the marketplace but never its credentials (PA-API answers "no
 * results" as a 404 with an error body: such statuses go in `passStatuses`).
 */
export function marketplaceRequest(
  marketplace: string,
  url: URL,
  init: MarketplaceRequestInit,
): Promise<UpstreamJsonResponse> {
  return upstreamJsonRequest(`Marketplace ${marketplace}`, url, init);
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
