import {
  describeMarketplaceContract,
  startFakeAllegro,
  startFakeAmazon,
  startFakeEbay,
  startFakeOlx,
} from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createAllegroProvider } from './allegro-provider';
import { createAmazonProvider } from './amazon-provider';
import { createEbayProvider, ebayPriceFilter } from './ebay-provider';
import { createOlxProvider } from './olx-provider';

const timeoutMs = 1000;
const clientId = 'fake-client-id-7781';
const clientSecret = 'fake-client-secret-Zq81xk';
const amazonKeys = {
  accessKey: 'AKIAFAKEACCESSKEY1',
  secretKey: 'fakeSecretKey/wJalrXUtnFEMI0123456789',
  partnerTag: 'giftfinder-21',
};

function manualClock() {
  let time = Date.UTC(2026, 11, 3, 8, 0, 0);
  return {
    now: () => time,
    advanceClock: (ms: number) => {
      time += ms;
    },
  };
}

describeMarketplaceContract('eBay', async () => {
  const server = await startFakeEbay({ clientId, clientSecret });
  const clock = manualClock();
  const options = { baseURL: server.url, timeoutMs, now: clock.now, marketplaceId: 'EBAY_DE' };
  return {
    server,
    provider: createEbayProvider({ ...options, clientId, clientSecret }),
    wrongCredentials: createEbayProvider({ ...options, clientId, clientSecret: 'wrong-secret-123' }),
    secrets: [clientSecret, 'wrong-secret-123'],
    currency: 'EUR',
    ratings: false,
    priceFilterInRequest: true,
    usesTokens: true,
    advanceClock: clock.advanceClock,
  };
});

describeMarketplaceContract('Allegro', async () => {
  const server = await startFakeAllegro({ clientId, clientSecret });
  const clock = manualClock();
  const options = { baseURL: server.url, authURL: server.url, timeoutMs, now: clock.now };
  return {
    server,
    provider: createAllegroProvider({ ...options, clientId, clientSecret }),
    wrongCredentials: createAllegroProvider({ ...options, clientId, clientSecret: 'wrong-secret-123' }),
    secrets: [clientSecret, 'wrong-secret-123'],
    currency: 'PLN',
    ratings: false,
    priceFilterInRequest: true,
    usesTokens: true,
    advanceClock: clock.advanceClock,
  };
});

describeMarketplaceContract('Amazon PA-API', async () => {
  const server = await startFakeAmazon(amazonKeys);
  const clock = manualClock();
  const options = { baseURL: server.url, timeoutMs, now: clock.now, partnerTag: amazonKeys.partnerTag };
  return {
    server,
    provider: createAmazonProvider({ ...options, accessKey: amazonKeys.accessKey, secretKey: amazonKeys.secretKey }),
    wrongCredentials: createAmazonProvider({
      ...options,
      accessKey: amazonKeys.accessKey,
      secretKey: 'wrong-secret-123',
    }),
    secrets: [amazonKeys.secretKey, 'wrong-secret-123'],
    currency: 'EUR',
    ratings: true,
    priceFilterInRequest: true,
    usesTokens: false,
    advanceClock: clock.advanceClock,
  };
});

describeMarketplaceContract('OLX', async () => {
  const server = await startFakeOlx({ clientId, clientSecret });
  const clock = manualClock();
  const options = { baseURL: server.url, timeoutMs, now: clock.now };
  return {
    server,
    provider: createOlxProvider({ ...options, clientId, clientSecret }),
    wrongCredentials: createOlxProvider({ ...options, clientId, clientSecret: 'wrong-secret-123' }),
    secrets: [clientSecret, 'wrong-secret-123'],
    currency: 'PLN',
    ratings: false,
    priceFilterInRequest: false,
    usesTokens: true,
    advanceClock: clock.advanceClock,
  };
});

const signal = () => new AbortController().signal;

describe('marketplace adapters send what each API documents', () => {
  it('eBay: a client-credentials token with the api_scope, then a bearer search with the marketplace and price filter', async () => {
    const server = await startFakeEbay({ clientId, clientSecret });
    try {
      await createEbayProvider({ baseURL: server.url, clientId, clientSecret, marketplaceId: 'EBAY_DE' }).search({
        query: 'chess set',
        priceMin: 10,
        priceMax: 50.5,
        currency: 'EUR',
        limit: 500,
        signal: signal(),
      });
      const [token, search] = server.requests;
      expect(token?.method).toBe('POST');
      expect(token?.path).toBe('/identity/v1/oauth2/token');
      expect(token?.headers.authorization).toBe(
        `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      );
      expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(String(token?.body)))).toEqual({
        grant_type: 'client_credentials',
        scope: 'https://api.ebay.com/oauth/api_scope',
      });
      const sent = new URL(search?.path ?? '', 'http://x');
      expect(sent.pathname).toBe('/buy/browse/v1/item_summary/search');
      expect(Object.fromEntries(sent.searchParams)).toEqual({
        q: 'chess set',
        limit: '200',
        filter: 'price:[10..50.5],priceCurrency:EUR',
      });
      expect(search?.headers.authorization).toMatch(/^Bearer v\^1\.1#/);
      expect(search?.headers['x-ebay-c-marketplace-id']).toBe('EBAY_DE');
    } finally {
      await server.close();
    }
  });

  it('eBay price filter: open-ended ranges', () => {
    expect(ebayPriceFilter(10, undefined, 'EUR')).toBe('price:[10],priceCurrency:EUR');
    expect(ebayPriceFilter(undefined, 30, 'USD')).toBe('price:[..30],priceCurrency:USD');
    expect(ebayPriceFilter(undefined, undefined, 'USD')).toBeNull();
  });

  it('Allegro: Basic auth at /auth/oauth/token?grant_type=client_credentials, then the public media type and phrase', async () => {
    const server = await startFakeAllegro({ clientId, clientSecret });
    try {
      const { products } = await createAllegroProvider({
        baseURL: server.url,
        authURL: server.url,
        siteURL: 'https://allegro.pl',
        clientId,
        clientSecret,
      }).search({ query: 'chess set', priceMax: 60, limit: 10, signal: signal() });
      const [token, search] = server.requests;
      expect(token?.method).toBe('POST');
      expect(token?.path).toBe('/auth/oauth/token?grant_type=client_credentials');
      expect(token?.headers.authorization).toBe(
        `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      );
      expect(search?.headers.accept).toBe('application/vnd.allegro.public.v1+json');
      expect(Object.fromEntries(new URL(search?.path ?? '', 'http://x').searchParams)).toEqual({
        phrase: 'chess set',
        limit: '10',
        'price.to': '60',
      });
      // Promoted offers come first, then regular ones; the offer page is built from the id.
      expect(products.map((item) => item.url)).toEqual([
        'https://allegro.pl/oferta/1001',
        'https://allegro.pl/oferta/1002',
      ]);
    } finally {
      await server.close();
    }
  });

  it('Allegro: no price filter is sent for bounds in another currency', async () => {
    const server = await startFakeAllegro({ clientId, clientSecret });
    try {
      await createAllegroProvider({ baseURL: server.url, authURL: server.url, clientId, clientSecret }).search({
        query: 'chess',
        priceMax: 20,
        currency: 'EUR',
        limit: 5,
        signal: signal(),
      });
      expect(server.searches[0]).toEqual({ query: 'chess', limit: 5 });
    } finally {
      await server.close();
    }
  });

  it('Amazon: a SigV4-signed SearchItems POST with the target, amz-1.0 encoding, partner tag and prices in cents', async () => {
    const server = await startFakeAmazon(amazonKeys);
    try {
      const { products } = await createAmazonProvider({ baseURL: server.url, ...amazonKeys }).search({
        query: 'chess set',
        priceMin: 20,
        priceMax: 60,
        currency: 'EUR',
        limit: 25,
        signal: signal(),
      });
      expect(products).toHaveLength(1);
      const request = server.requests[0];
      expect(request?.path).toBe('/paapi5/searchitems');
      expect(request?.headers['x-amz-target']).toBe('com.amazon.paapi5.v1.ProductAdvertisingAPIv1.SearchItems');
      expect(request?.headers['content-encoding']).toBe('amz-1.0');
      expect(request?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAFAKEACCESSKEY1\/\d{8}\/eu-west-1\/ProductAdvertisingAPI\/aws4_request, SignedHeaders=.*content-encoding;.*host;.*x-amz-target, Signature=[0-9a-f]{64}$/,
      );
      expect(request?.body).toEqual({
        Keywords: 'chess set',
        PartnerTag: 'giftfinder-21',
        PartnerType: 'Associates',
        Marketplace: 'www.amazon.de',
        ItemCount: 10,
        MinPrice: 2000,
        MaxPrice: 6000,
        CurrencyOfPreference: 'EUR',
        Resources: ['ItemInfo.Title', 'Images.Primary.Medium', 'OffersV2.Listings.Price', 'CustomerReviews.StarRating'],
      });
    } finally {
      await server.close();
    }
  });

  it('OLX: a v2 token by JSON body, Version: 2.0 on the listing, only active adverts matching the query', async () => {
    const server = await startFakeOlx({ clientId, clientSecret });
    try {
      const { products } = await createOlxProvider({ baseURL: server.url, clientId, clientSecret }).search({
        query: 'chess set',
        limit: 10,
        signal: signal(),
      });
      const [token, listing] = server.requests;
      expect(token?.path).toBe('/api/open/oauth/token');
      expect(token?.body).toEqual({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'v2 read',
      });
      expect(listing?.headers.version).toBe('2.0');
      expect(listing?.path).toBe('/api/partner/adverts?offset=0&limit=100');
      expect(products.map((item) => item.title)).not.toContain('Old chess set');
      expect(products).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('OLX: a configured refresh token is exchanged instead of client credentials', async () => {
    const server = await startFakeOlx({ clientId, clientSecret });
    try {
      await createOlxProvider({ baseURL: server.url, clientId, clientSecret, refreshToken: 'user-refresh-1' }).search({
        query: 'chess',
        limit: 1,
        signal: signal(),
      });
      expect(server.requests[0]?.body).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'user-refresh-1' });
    } finally {
      await server.close();
    }
  });

  it('a token the API revokes early is fetched afresh on the next search', async () => {
    const server = await startFakeEbay({ clientId, clientSecret });
    try {
      const provider = createEbayProvider({ baseURL: server.url, clientId, clientSecret, timeoutMs });
      await provider.search({ query: 'chess', limit: 1, signal: signal() });
      server.setBehaviour({
        kind: 'error',
        status: 401,
        body: { errors: [{ errorId: 1001, message: 'Invalid access token' }] },
      });
      await expect(provider.search({ query: 'chess', limit: 1, signal: signal() })).rejects.toThrow('credentials');
      server.setBehaviour({ kind: 'ok' });
      await provider.search({ query: 'chess', limit: 1, signal: signal() });
      expect(server.tokensIssued).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('refuses to start without credentials', () => {
    expect(() => createEbayProvider({ clientId })).toThrow('clientSecret');
    expect(() => createAmazonProvider({ accessKey: 'a', secretKey: 'b' })).toThrow('partnerTag');
  });
});

describe('reading what the APIs answer', () => {
  it('Amazon: the older Offers.Listings price shape, and listings without a price or a safe link are left out', async () => {
    const server = await startFakeAmazon(amazonKeys);
    try {
      const item = (asin: string, price: unknown, url: string) => ({
        ASIN: asin,
        DetailPageURL: url,
        ItemInfo: { Title: { DisplayValue: `Chess ${asin}` } },
        Images: { Primary: { Medium: { URL: 'javascript:alert(1)' } } },
        Offers: { Listings: [{ Price: price }] },
      });
      server.setBehaviour({
        kind: 'error',
        status: 200,
        body: {
          SearchResult: {
            Items: [
              item('B01', { Amount: 12.5, Currency: 'EUR', DisplayAmount: '12,50 €' }, 'https://www.amazon.de/dp/B01'),
              item('B02', undefined, 'https://www.amazon.de/dp/B02'),
              item('B03', { Amount: 9, Currency: 'EUR' }, 'javascript:alert(1)'),
            ],
          },
        },
      });
      const { products } = await createAmazonProvider({ baseURL: server.url, ...amazonKeys }).search({
        query: 'chess',
        limit: 10,
        signal: signal(),
      });
      expect(products).toEqual([
        {
          title: 'Chess B01',
          price: 12.5,
          currency: 'EUR',
          url: 'https://www.amazon.de/dp/B01',
          image: null,
          marketplace: 'amazon',
          rating: null,
        },
      ]);
    } finally {
      await server.close();
    }
  });
});
