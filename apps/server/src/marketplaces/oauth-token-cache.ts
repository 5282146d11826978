import { garbled, type MarketplaceRequestInit, marketplaceRequest } from './marketplace-provider';

export interface TokenRequest {
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface OAuthTokenCache {
  /** A bearer token, fetched once and reused until shortly before it expires. */
  token(request: Pick<MarketplaceRequestInit, 'signal' | 'timeoutMs' | 'fetch'>): Promise<string>;
  /** Forgets the token (the API refused it before its expiry). */
  drop(): void;
}

/** Tokens are renewed this long before the expiry the server gave, so none expires mid-request. */
const expiryMarginMs = 60_000;

/**
 * An OAuth client-credentials token for one marketplace (RFC 6749 §4.4): `{access_token,
 * expires_in}` from the token endpoint, cached in memory until expiry. Concurrent searches share
 * one token request.
 */
export function createOAuthTokenCache(marketplace: string, request: TokenRequest, now: () => number): OAuthTokenCache {
  let cached: { token: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;

  async function fetchToken(init: Pick<MarketplaceRequestInit, 'signal' | 'timeoutMs' | 'fetch'>): Promise<string> {
    const { body } = await marketplaceRequest(marketplace, request.url, {
      method: 'POST',
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      purpose: 'token',
      ...init,
    });
    const shaped = body as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof shaped?.access_token !== 'string' || shaped.access_token === '') throw garbled(marketplace, 'a token');
    // OLX sends expires_in as a string; a token without one is used for a minute.
    const seconds = Number(shaped.expires_in);
    const lifetimeMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : expiryMarginMs * 2;
    cached = { token: shaped.access_token, expiresAt: now() + Math.max(lifetimeMs - expiryMarginMs, lifetimeMs / 2) };
    return shaped.access_token;
  }

  return {
    async token(init) {
      if (cached && now() < cached.expiresAt) return cached.token;
      // The shared request is not tied to one caller's abort: another caller may still want it.
      pending ??= fetchToken({ ...init, signal: new AbortController().signal }).finally(() => {
        pending = null;
      });
      const shared = pending;
      return await new Promise<string>((resolve, reject) => {
        if (init.signal.aborted) return reject(init.signal.reason);
        const onAbort = () => reject(init.signal.reason);
        init.signal.addEventListener('abort', onAbort, { once: true });
        shared.then(resolve, reject).finally(() => init.signal.removeEventListener('abort', onAbort));
      });
    },
    drop() {
      cached = null;
    },
  };
}
