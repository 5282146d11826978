import { SwitchyardError } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeMarketplaceServer, fakeMarketplaceCatalog } from '../fakes/marketplace-servers';

/** The shape every marketplace adapter has (apps/server/src/marketplaces), seen from the outside. */
export interface MarketplaceProviderUnderTest {
  readonly marketplace: string;
  search(query: {
    query: string;
    priceMin?: number;
    priceMax?: number;
    currency?: string;
    limit: number;
    signal: AbortSignal;
  }): Promise<{
    products: ReadonlyArray<{
      title: string;
      price: number;
      currency: string;
      url: string;
      image: string | null;
      marketplace: string;
      rating: number | null;
    }>;
  }>;
}

export interface MarketplaceContractSetup {
  /** The fake speaking the marketplace's wire format. */
  readonly server: FakeMarketplaceServer;
  /** The adapter pointed at the fake, with a time limit of at most a second, its clock `advanceClock` moves. */
  readonly provider: MarketplaceProviderUnderTest;
  /** The same adapter with credentials the fake refuses. */
  readonly wrongCredentials: MarketplaceProviderUnderTest;
  /** Every secret configured: none may appear in an error. */
  readonly secrets: readonly string[];
  /** The currency the marketplace prices in. */
  readonly currency: string;
  /** Whether the API reports product ratings. */
  readonly ratings: boolean;
  /** Whether the API filters by price itself (else the adapter filters what it lists). */
  readonly priceFilterInRequest: boolean;
  /** Whether the API uses OAuth bearer tokens (cached), rather than signing each request. */
  readonly usesTokens: boolean;
  /** Moves the adapter's clock forward. */
  readonly advanceClock: (ms: number) => void;
}

async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the search to fail');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SwitchyardError);
  return error as SwitchyardError;
}

const chessSets = fakeMarketplaceCatalog.filter((item) => /chess set/i.test(item.title));

/** What the gift finder relies on, whatever the marketplace. */
export function describeMarketplaceContract(name: string, setup: () => Promise<MarketplaceContractSetup>): void {
  describe(`marketplace contract: ${name}`, () => {
    let context: MarketplaceContractSetup;
    const search = (
      query: string,
      extra: { priceMin?: number; priceMax?: number; limit?: number } = {},
      provider = context.provider,
    ) =>
      provider.search({
        query,
        limit: extra.limit ?? 10,
        currency: context.currency,
        signal: new AbortController().signal,
        ...(extra.priceMin === undefined ? {} : { priceMin: extra.priceMin }),
        ...(extra.priceMax === undefined ? {} : { priceMax: extra.priceMax }),
      });

    beforeAll(async () => {
      context = await setup();
    });
    afterAll(async () => {
      await context?.server.close();
    });

    it('finds products normalised to title, price, currency, url, image, marketplace and rating', async () => {
      context.server.setBehaviour({ kind: 'ok' });
      const { products } = await search('chess set');
      expect(products.map((item) => item.title)).toEqual(chessSets.map((item) => item.title));
      products.forEach((item, index) => {
        const listed = chessSets[index];
        expect(item).toEqual({
          title: listed?.title,
          price: listed?.price,
          currency: context.currency,
          url: expect.stringMatching(new RegExp(`^https?://.*${listed?.id}`)),
          image: listed?.image,
          marketplace: context.provider.marketplace,
          rating: context.ratings ? listed?.rating : null,
        });
      });
    });

    it('passes the price range and keeps only products within it', async () => {
      const { products } = await search('chess set', { priceMin: 20, priceMax: 60 });
      expect(products.map((item) => item.title)).toEqual(['Wooden chess set, hand carved']);
      if (context.priceFilterInRequest) {
        expect(context.server.searches.at(-1)).toMatchObject({ query: 'chess set', priceMin: 20, priceMax: 60 });
      }
      const cheap = await search('chess', { priceMax: 20 });
      expect(cheap.products.map((item) => item.price)).toEqual([19.5]);
    });

    it('returns at most `limit` products, and none for a query nothing matches', async () => {
      expect((await search('chess', { limit: 2 })).products).toHaveLength(2);
      expect((await search('zebra crossing quantum')).products).toEqual([]);
    });

    it('reuses its token across searches and fetches a new one only after it expires', async () => {
      await search('chess');
      const before = context.server.tokensIssued;
      await search('chess');
      await Promise.all([search('chess'), search('chess set')]);
      expect(context.server.tokensIssued).toBe(before);
      if (context.usesTokens) {
        expect(before).toBe(1);
        context.advanceClock(2 * 24 * 3600 * 1000);
        await search('chess');
        await search('chess');
        expect(context.server.tokensIssued).toBe(2);
      }
    });

    it('honours a 429: a rate-limited error carrying Retry-After', async () => {
      context.server.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '17' } });
      const error = await failure(search('chess'));
      expect(error.code).toBe('SY_ERR_UPSTREAM_RATE_LIMITED');
      expect(error.status).toBe(429);
      expect(error.retryAfterSeconds).toBe(17);
      expect(error.message).toContain('rate limiting');
      context.server.setBehaviour({ kind: 'ok' });
    });

    it('reports a failing, silent or garbled marketplace as unavailable (503), never hanging', async () => {
      context.server.setBehaviour({ kind: 'error', status: 500 });
      const failed = await failure(search('chess'));
      expect(failed.code).toBe('SY_ERR_APP_UNAVAILABLE');
      expect(failed.message).toContain(context.provider.marketplace);
      context.server.setBehaviour({ kind: 'error', status: 200, body: 'garbage' });
      expect((await failure(search('chess'))).code).toBe('SY_ERR_APP_UNAVAILABLE');
      context.server.setBehaviour({ kind: 'hang' });
      const silent = await failure(search('chess'));
      expect(silent.code).toBe('SY_ERR_APP_UNAVAILABLE');
      expect(silent.message).toContain('no answer within');
      context.server.setBehaviour({ kind: 'ok' });
    });

    it('stops when the caller aborts', async () => {
      context.server.setBehaviour({ kind: 'hang' });
      const controller = new AbortController();
      const pending = context.provider.search({ query: 'chess', limit: 3, signal: controller.signal });
      controller.abort(new Error('caller left'));
      await expect(pending).rejects.toThrow('caller left');
      context.server.setBehaviour({ kind: 'ok' });
    });

    it('reports refused credentials as unavailable without ever showing a secret', async () => {
      const refused = await failure(search('chess', {}, context.wrongCredentials));
      expect(refused.code).toBe('SY_ERR_APP_UNAVAILABLE');
      expect(refused.message).toContain('credentials');
      context.server.setBehaviour({ kind: 'error', status: 500 });
      const failed = await failure(search('chess'));
      context.server.setBehaviour({ kind: 'ok' });
      for (const error of [refused, failed]) {
        const shown = `${error.message} ${JSON.stringify(error.details ?? {})}`;
        for (const secret of context.secrets) expect(shown).not.toContain(secret);
      }
    });
  });
}
