import { createHash, createHmac } from 'node:crypto';
import {
  type FakeExchange,
  type FakeUpstreamServer,
  type RecordedRequest,
  startFakeHttpServer,
} from './fake-http-server';

/** A product every fake marketplace lists (each in its own wire format). */
export interface FakeCatalogProduct {
  id: string;
  title: string;
  /** In major units of the marketplace's currency. */
  price: number;
  image: string;
  /** Out of 5; only Amazon's API reports it. */
  rating: number;
}

export const fakeMarketplaceCatalog: readonly FakeCatalogProduct[] = [
  {
    id: '1001',
    title: 'Wooden chess set, hand carved',
    price: 49.99,
    image: 'https://img.example.com/chess-wood.jpg',
    rating: 4.6,
  },
  {
    id: '1002',
    title: 'Travel chess set, magnetic',
    price: 19.5,
    image: 'https://img.example.com/chess-travel.jpg',
    rating: 4.1,
  },
  {
    id: '1003',
    title: 'Digital chess clock',
    price: 34,
    image: 'https://img.example.com/chess-clock.jpg',
    rating: 3.9,
  },
  {
    id: '1004',
    title: 'Glass chess set deluxe',
    price: 89,
    image: 'https://img.example.com/chess-glass.jpg',
    rating: 4.8,
  },
  { id: '1005', title: 'Espresso machine', price: 199, image: 'https://img.example.com/espresso.jpg', rating: 4.2 },
];

/** What a fake understood one product search to ask, in its own protocol's terms. */
export interface FakeMarketplaceSearch {
  query: string;
  limit: number;
  priceMin?: number;
  priceMax?: number;
  currency?: string;
}

export interface FakeMarketplaceServer extends FakeUpstreamServer {
  /** Searches answered (after auth passed), in order. */
  readonly searches: FakeMarketplaceSearch[];
  /** Tokens issued by the token endpoint (0 for Amazon, which signs each request instead). */
  readonly tokensIssued: number;
}

/** Catalog products whose title holds every word of the query, within the price bounds, at most `limit`. */
export function findFakeProducts(search: FakeMarketplaceSearch): FakeCatalogProduct[] {
  const words = search.query.toLowerCase().split(/\s+/).filter(Boolean);
  return fakeMarketplaceCatalog
    .filter((item) => words.length > 0 && words.every((word) => item.title.toLowerCase().includes(word)))
    .filter((item) => search.priceMin === undefined || item.price >= search.priceMin)
    .filter((item) => search.priceMax === undefined || item.price <= search.priceMax)
    .slice(0, search.limit);
}

function json(exchange: FakeExchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  exchange.response.writeHead(status, { 'content-type': 'application/json', ...headers });
  exchange.response.end(JSON.stringify(body));
}

function urlOf(record: RecordedRequest): URL {
  return new URL(record.path, 'http://fake');
}

function basicCredentials(record: RecordedRequest): string | null {
  const header = record.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return null;
  return Buffer.from(header.slice(6), 'base64').toString('utf8');
}

/** Issues and checks opaque bearer tokens, and counts them. */
function tokenIssuer(prefix: string) {
  const issued = new Set<string>();
  return {
    issue(): string {
      const token = `${prefix}${issued.size + 1}-${Math.random().toString(36).slice(2)}`;
      issued.add(token);
      return token;
    },
    valid(record: RecordedRequest): boolean {
      const header = record.headers.authorization;
      return typeof header === 'string' && header.startsWith('Bearer ') && issued.has(header.slice(7));
    },
    get count() {
      return issued.size;
    },
  };
}

function withCounters(
  server: FakeUpstreamServer,
  searches: FakeMarketplaceSearch[],
  tokens: () => number,
): FakeMarketplaceServer {
  Object.defineProperty(server, 'tokensIssued', { get: tokens, enumerable: true });
  return Object.assign(server, { searches }) as FakeMarketplaceServer;
}

const numberOrUndefined = (value: string | null | undefined): number | undefined =>
  value === null || value === undefined || value === '' ? undefined : Number(value);

/**
 * eBay: `POST /identity/v1/oauth2/token` (Basic client id:secret, form grant_type=client_credentials
 * and the api_scope) answers `{access_token, expires_in, token_type}`; `GET /buy/browse/v1/
 * item_summary/search?q&limit&filter=price:[a..b],priceCurrency:EUR` with the bearer token answers
 * `{href, total, limit, offset, itemSummaries?}` (no itemSummaries when nothing matches). Errors are
 * `{errors: [{errorId, domain, category, message}]}`.
 */
export async function startFakeEbay(options: {
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds?: number;
}): Promise<FakeMarketplaceServer> {
  const searches: FakeMarketplaceSearch[] = [];
  const tokens = tokenIssuer('v^1.1#i^1#fake-ebay-');
  const errors = (errorId: number, message: string) => ({
    errors: [{ errorId, domain: errorId === 1001 ? 'OAuth' : 'API_BROWSE', category: 'REQUEST', message }],
  });
  const server = await startFakeHttpServer(
    (exchange) => {
      const { record } = exchange;
      const url = urlOf(record);
      if (url.pathname === '/identity/v1/oauth2/token' && record.method === 'POST') {
        const form = new URLSearchParams(typeof record.body === 'string' ? record.body : '');
        if (basicCredentials(record) !== `${options.clientId}:${options.clientSecret}`) {
          return json(exchange, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
        }
        if (
          form.get('grant_type') !== 'client_credentials' ||
          form.get('scope') !== 'https://api.ebay.com/oauth/api_scope'
        ) {
          return json(exchange, 400, { error: 'invalid_request', error_description: 'grant_type or scope invalid' });
        }
        return json(exchange, 200, {
          access_token: tokens.issue(),
          expires_in: options.tokenLifetimeSeconds ?? 7200,
          token_type: 'Application Access Token',
        });
      }
      if (url.pathname === '/buy/browse/v1/item_summary/search' && record.method === 'GET') {
        if (!tokens.valid(record)) return json(exchange, 401, errors(1001, 'Invalid access token'));
        const filter = url.searchParams.get('filter') ?? '';
        const price = /price:\[(\d+(?:\.\d+)?)?(?:\.\.(\d+(?:\.\d+)?)?)?\]/.exec(filter);
        const currency = /priceCurrency:([A-Z]{3})/.exec(filter)?.[1];
        if (price && !currency) return json(exchange, 400, errors(12023, 'priceCurrency is required with price'));
        const search: FakeMarketplaceSearch = {
          query: url.searchParams.get('q') ?? '',
          limit: Number(url.searchParams.get('limit') ?? 50),
          ...(price?.[1] ? { priceMin: Number(price[1]) } : {}),
          ...(price?.[2] ? { priceMax: Number(price[2]) } : {}),
          ...(currency ? { currency } : {}),
        };
        searches.push(search);
        const found = findFakeProducts(search);
        const site = String(record.headers['x-ebay-c-marketplace-id'] ?? 'EBAY_US');
        return json(exchange, 200, {
          href: `https://api.ebay.com${record.path}`,
          total: found.length,
          limit: search.limit,
          offset: 0,
          ...(found.length === 0
            ? {}
            : {
                itemSummaries: found.map((item) => ({
                  itemId: `v1|${item.id}|0`,
                  title: item.title,
                  image: { imageUrl: item.image },
                  price: { value: item.price.toFixed(2), currency: currency ?? 'EUR' },
                  itemHref: `https://api.ebay.com/buy/browse/v1/item/v1%7C${item.id}%7C0`,
                  seller: { username: 'fake-seller', feedbackPercentage: '99.2', feedbackScore: 1520 },
                  condition: 'New',
                  conditionId: '1000',
                  buyingOptions: ['FIXED_PRICE'],
                  itemWebUrl: `https://www.ebay.de/itm/${item.id}`,
                  itemLocation: { country: 'DE' },
                  adultOnly: false,
                  legacyItemId: item.id,
                  marketplaceId: site,
                })),
              }),
        });
      }
      json(exchange, 404, errors(404, 'Resource not found'));
    },
    (exchange, behaviour) =>
      json(
        exchange,
        behaviour.status,
        behaviour.body ??
          errors(
            behaviour.status === 429 ? 2001 : 10001,
            behaviour.status === 429 ? 'Too many requests.' : 'System error.',
          ),
        behaviour.headers,
      ),
  );
  return withCounters(server, searches, () => tokens.count);
}

/**
 * Allegro: `POST /auth/oauth/token?grant_type=client_credentials` (Basic client id:secret) answers
 * `{access_token, token_type: 'bearer', expires_in, scope, allegro_api, jti}`; `GET /offers/listing?
 * phrase&limit&price.from&price.to` with the bearer token and `Accept: application/vnd.allegro.
 * public.v1+json` (406 otherwise) answers `{items: {promoted, regular}, categories, filters,
 * searchMeta, sort}` priced in PLN. The same server plays allegro.pl (token) and api.allegro.pl.
 */
export async function startFakeAllegro(options: {
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds?: number;
}): Promise<FakeMarketplaceServer> {
  const searches: FakeMarketplaceSearch[] = [];
  const tokens = tokenIssuer('eyJ.fake-allegro-');
  const errors = (code: string, message: string) => ({
    errors: [{ code, message, details: null, path: null, userMessage: message }],
  });
  const server = await startFakeHttpServer(
    (exchange) => {
      const { record } = exchange;
      const url = urlOf(record);
      if (url.pathname === '/auth/oauth/token' && record.method === 'POST') {
        if (basicCredentials(record) !== `${options.clientId}:${options.clientSecret}`) {
          return json(exchange, 401, { error: 'Unauthorized', error_description: 'Full authentication is required' });
        }
        if (url.searchParams.get('grant_type') !== 'client_credentials') {
          return json(exchange, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
        }
        return json(exchange, 200, {
          access_token: tokens.issue(),
          token_type: 'bearer',
          expires_in: options.tokenLifetimeSeconds ?? 43199,
          scope: 'allegro:api:sale:offers:read',
          allegro_api: true,
          jti: 'fake-jti',
        });
      }
      if (url.pathname === '/offers/listing' && record.method === 'GET') {
        if (!tokens.valid(record))
          return json(exchange, 401, { error: 'invalid_token', error_description: 'Invalid token' });
        if (record.headers.accept !== 'application/vnd.allegro.public.v1+json') {
          return json(exchange, 406, errors('NotAcceptableException', 'Not acceptable representation'));
        }
        const search: FakeMarketplaceSearch = {
          query: url.searchParams.get('phrase') ?? '',
          limit: Number(url.searchParams.get('limit') ?? 60),
          ...(url.searchParams.has('price.from')
            ? { priceMin: numberOrUndefined(url.searchParams.get('price.from')) }
            : {}),
          ...(url.searchParams.has('price.to')
            ? { priceMax: numberOrUndefined(url.searchParams.get('price.to')) }
            : {}),
        } as FakeMarketplaceSearch;
        searches.push(search);
        const offers = findFakeProducts(search).map((item) => ({
          id: item.id,
          name: item.title,
          seller: { id: '42', company: true, superSeller: false },
          promotion: { emphasized: false, bold: false, highlight: false },
          delivery: { availableForFree: false, lowestPrice: { amount: '9.99', currency: 'PLN' } },
          images: [{ url: item.image }],
          sellingMode: { format: 'BUY_NOW', price: { amount: item.price.toFixed(2), currency: 'PLN' }, popularity: 3 },
          stock: { unit: 'UNIT', available: 5 },
          category: { id: '257931' },
          publication: { endingAt: '2030-01-01T00:00:00.000Z' },
        }));
        return json(exchange, 200, {
          items: { promoted: offers.slice(0, 1), regular: offers.slice(1) },
          categories: { subcategories: [], path: [] },
          filters: [],
          searchMeta: { availableCount: offers.length, totalCount: offers.length, fallback: false },
          sort: [],
        });
      }
      json(exchange, 404, errors('NotFoundException', 'Not found'));
    },
    (exchange, behaviour) =>
      json(
        exchange,
        behaviour.status,
        behaviour.body ??
          errors(behaviour.status === 429 ? 'TooManyRequestsException' : 'InternalServerErrorException', 'error'),
        behaviour.headers,
      ),
  );
  return withCounters(server, searches, () => tokens.count);
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * Checks an AWS Signature Version 4 `Authorization` header independently of the signer under test
 * (a body-only POST without a query, as PA-API calls are). Returns why it fails, or null.
 */
export function sigV4Problem(
  record: RecordedRequest,
  expected: { accessKey: string; secretKey: string; region: string; service: string },
): string | null {
  const header = record.headers.authorization;
  const amzDate = record.headers['x-amz-date'];
  if (typeof header !== 'string' || typeof amzDate !== 'string') return 'missing Authorization or X-Amz-Date';
  const parsed =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (!parsed) return 'malformed Authorization';
  const [, accessKey, day, region, service, signedHeaders, signature] = parsed as unknown as string[];
  if (accessKey !== expected.accessKey) return 'unknown access key';
  if (region !== expected.region || service !== expected.service) return 'wrong credential scope';
  if (!amzDate.startsWith(day as string)) return 'date mismatch';
  const names = (signedHeaders as string).split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  const canonicalHeaders = names
    .map(
      (name) =>
        `${name}:${String(record.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const url = urlOf(record);
  const canonicalRequest = [
    record.method,
    url.pathname,
    url.search.slice(1),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(record.rawBody),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${expected.secretKey}`, day as string), region as string), service as string),
    'aws4_request',
  );
  return hmac(key, stringToSign).toString('hex') === signature ? null : 'signature does not match';
}

/**
 * Amazon PA-API 5.0: `POST /paapi5/searchitems` signed with SigV4 (service ProductAdvertisingAPI;
 * the signature is verified), `x-amz-target: com.amazon.paapi5.v1.ProductAdvertisingAPIv1.
 * SearchItems`, `content-encoding: amz-1.0`, body `{Keywords, PartnerTag, PartnerType, Marketplace,
 * ItemCount, MinPrice?, MaxPrice?, Resources}` answers `{SearchResult: {Items, TotalResultCount,
 * SearchURL}}`; no match is a 404 `NoResults`; errors are `{__type, Errors: [{Code, Message}]}`.
 */
export async function startFakeAmazon(options: {
  accessKey: string;
  secretKey: string;
  partnerTag: string;
  region?: string;
}): Promise<FakeMarketplaceServer> {
  const searches: FakeMarketplaceSearch[] = [];
  const errors = (code: string, message: string) => ({
    __type: 'com.amazon.paapi5#ErrorData',
    Errors: [{ __type: 'com.amazon.paapi5#ErrorData', Code: code, Message: message }],
  });
  const server = await startFakeHttpServer(
    (exchange) => {
      const { record } = exchange;
      if (urlOf(record).pathname !== '/paapi5/searchitems' || record.method !== 'POST') {
        return json(exchange, 404, errors('UnknownOperation', 'The operation requested is invalid.'));
      }
      if (
        record.headers['x-amz-target'] !== 'com.amazon.paapi5.v1.ProductAdvertisingAPIv1.SearchItems' ||
        record.headers['content-encoding'] !== 'amz-1.0'
      ) {
        return json(exchange, 400, errors('UnknownOperation', 'The operation requested is invalid.'));
      }
      const problem = sigV4Problem(record, {
        accessKey: options.accessKey,
        secretKey: options.secretKey,
        region: options.region ?? 'eu-west-1',
        service: 'ProductAdvertisingAPI',
      });
      if (problem) {
        return json(
          exchange,
          401,
          problem === 'unknown access key'
            ? errors('UnrecognizedClient', 'The Access Key Id or security token included in the request is invalid.')
            : errors('InvalidSignature', 'The request has not been correctly signed.'),
        );
      }
      const body = (record.body ?? {}) as Record<string, unknown>;
      if (body.PartnerTag !== options.partnerTag || body.PartnerType !== 'Associates') {
        return json(exchange, 400, errors('InvalidPartnerTag', 'The partner tag is invalid or not present.'));
      }
      const cents = (value: unknown) => (typeof value === 'number' ? value / 100 : undefined);
      const search = {
        query: String(body.Keywords ?? ''),
        limit: typeof body.ItemCount === 'number' ? body.ItemCount : 10,
        ...(cents(body.MinPrice) === undefined ? {} : { priceMin: cents(body.MinPrice) }),
        ...(cents(body.MaxPrice) === undefined ? {} : { priceMax: cents(body.MaxPrice) }),
        ...(typeof body.CurrencyOfPreference === 'string' ? { currency: body.CurrencyOfPreference } : {}),
      } as FakeMarketplaceSearch;
      searches.push(search);
      const found = findFakeProducts(search);
      if (found.length === 0) return json(exchange, 404, errors('NoResults', 'No results found for your request.'));
      const currency = search.currency ?? 'EUR';
      return json(exchange, 200, {
        SearchResult: {
          Items: found.map((item) => ({
            ASIN: `B0${item.id}XYZ`,
            DetailPageURL: `https://www.amazon.de/dp/B0${item.id}XYZ?tag=${options.partnerTag}&linkCode=ogi&th=1&psc=1`,
            Images: { Primary: { Medium: { Height: 160, URL: item.image, Width: 160 } } },
            ItemInfo: { Title: { DisplayValue: item.title, Label: 'Title', Locale: 'de_DE' } },
            OffersV2: {
              Listings: [
                {
                  Price: {
                    Money: {
                      Amount: item.price,
                      Currency: currency,
                      DisplayAmount: `${item.price.toFixed(2)} ${currency}`,
                    },
                  },
                },
              ],
            },
            CustomerReviews: { StarRating: { Value: item.rating } },
          })),
          SearchURL: 'https://www.amazon.de/s?k=fake',
          TotalResultCount: found.length,
        },
      });
    },
    (exchange, behaviour) =>
      json(
        exchange,
        behaviour.status,
        behaviour.body ??
          (behaviour.status === 429
            ? errors('TooManyRequests', 'The request was denied due to request throttling.')
            : errors('InternalFailure', 'The request processing has failed because of an unknown error.')),
        behaviour.headers,
      ),
  );
  return withCounters(server, searches, () => 0);
}

/**
 * OLX Partner API v2: `POST /api/open/oauth/token` with a JSON `{grant_type, client_id,
 * client_secret, scope}` answers `{access_token, expires_in, token_type, scope}`; `GET /api/partner/
 * adverts?offset&limit` with the bearer token and `Version: 2.0` (400 without) answers `{data:
 * [advert]}`: every advert of the account (one of them removed by its user), priced in PLN.
 */
export async function startFakeOlx(options: {
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds?: number;
}): Promise<FakeMarketplaceServer> {
  const searches: FakeMarketplaceSearch[] = [];
  const tokens = tokenIssuer('fake-olx-');
  const error = (status: number, title: string, detail: string) => ({ error: { status, code: status, title, detail } });
  const advert = (item: FakeCatalogProduct, status: string) => ({
    id: Number(item.id),
    status,
    url: `https://www.olx.pl/d/oferta/${item.title.toLowerCase().replace(/[^a-z]+/g, '-')}-ID${item.id}.html`,
    title: item.title,
    description: `${item.title}. Good condition, pickup or courier.`,
    category_id: 1307,
    advertiser_type: 'private',
    external_id: null,
    external_url: null,
    contact: { name: 'Jan', phone: null },
    location: { city_id: 17871, district_id: null, latitude: 52.23, longitude: 21.01 },
    images: [{ url: item.image }],
    price: { value: item.price, currency: 'PLN', negotiable: false, trade: false, budget: false },
    attributes: [],
    courier: null,
    created_at: '2026-11-01 10:00:00',
    activated_at: '2026-11-01 10:05:00',
    valid_to: '2026-12-31 10:05:00',
  });
  const server = await startFakeHttpServer(
    (exchange) => {
      const { record } = exchange;
      const url = urlOf(record);
      if (url.pathname === '/api/open/oauth/token' && record.method === 'POST') {
        const body = (record.body ?? {}) as Record<string, unknown>;
        if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret) {
          return json(exchange, 401, {
            error: 'invalid_client',
            error_description: 'The client credentials are invalid',
          });
        }
        if (body.grant_type !== 'client_credentials' && body.grant_type !== 'refresh_token') {
          return json(exchange, 400, {
            error: 'unsupported_grant_type',
            error_description: 'Grant type not supported',
          });
        }
        return json(exchange, 200, {
          access_token: tokens.issue(),
          expires_in: String(options.tokenLifetimeSeconds ?? 86400),
          token_type: 'bearer',
          scope: typeof body.scope === 'string' ? body.scope : 'v2 read',
        });
      }
      if (url.pathname === '/api/partner/adverts' && record.method === 'GET') {
        if (!tokens.valid(record)) return json(exchange, 401, error(401, 'Unauthorized', 'Invalid access token'));
        if (record.headers.version !== '2.0')
          return json(exchange, 400, error(400, 'Invalid request', 'Version header is required'));
        const limit = Number(url.searchParams.get('limit') ?? 1000);
        searches.push({ query: '', limit });
        const adverts = fakeMarketplaceCatalog.map((item) => advert(item, 'active'));
        adverts.push(
          advert(
            { ...fakeMarketplaceCatalog[0], id: '1999', title: 'Old chess set' } as FakeCatalogProduct,
            'removed_by_user',
          ),
        );
        return json(exchange, 200, { data: adverts.slice(0, limit) });
      }
      json(exchange, 404, error(404, 'Not found', 'Resource not found'));
    },
    (exchange, behaviour) =>
      json(
        exchange,
        behaviour.status,
        behaviour.body ??
          error(behaviour.status, behaviour.status === 429 ? 'Too Many Requests' : 'Server error', 'error'),
        behaviour.headers,
      ),
  );
  return withCounters(server, searches, () => tokens.count);
}
