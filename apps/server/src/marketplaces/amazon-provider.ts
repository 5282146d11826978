import { signAwsRequest } from './aws-sigv4';
import {
  at,
  baseOf,
  defaultMarketplaceTimeoutMs,
  garbled,
  type MarketplaceProvider,
  type MarketplaceProviderOptions,
  marketplaceRequest,
  product,
  requireOption,
  unavailable,
  withinQuery,
} from './marketplace-provider';

export const paapiTarget = 'com.amazon.paapi5.v1.ProductAdvertisingAPIv1.SearchItems';

export interface AmazonProviderOptions extends MarketplaceProviderOptions {
  readonly accessKey?: string;
  readonly secretKey?: string;
  /** The Associates store id (e.g. `mystore-21`) sent as PartnerTag. */
  readonly partnerTag?: string;
  /** PA-API host of the locale; default webservices.amazon.de. baseURL overrides the whole origin. */
  readonly host?: string;
  /** The AWS region of that host; default eu-west-1. */
  readonly region?: string;
  /** The store searched; default www.amazon.de. */
  readonly marketplace?: string;
  /** Fixes the signing time (tests). */
  readonly signingDate?: () => Date;
}

/** The Resources asked for: exactly what a product card needs. */
export const paapiResources = [
  'ItemInfo.Title',
  'Images.Primary.Medium',
  'OffersV2.Listings.Price',
  'CustomerReviews.StarRating',
] as const;

/**
 * Amazon Product Advertising API 5.0 SearchItems: `POST https://{host}/paapi5/searchitems` with a
 * JSON body `{Keywords, PartnerTag, PartnerType: 'Associates', Marketplace, ItemCount (≤ 10),
 * MinPrice?, MaxPrice? (in the currency's lowest denomination), CurrencyOfPreference?, Resources}`,
 * headers `content-encoding: amz-1.0`, `content-type: application/json; charset=utf-8`,
 * `x-amz-target: com.amazon.paapi5.v1.ProductAdvertisingAPIv1.SearchItems`, signed with AWS
 * Signature Version 4 (service ProductAdvertisingAPI). Items are `SearchResult.Items[]` of
 * `{DetailPageURL, ItemInfo.Title.DisplayValue, Images.Primary.Medium.URL, OffersV2.Listings[0].
 * Price.Money{Amount, Currency}}` (or the older `Offers.Listings[0].Price{Amount, Currency}`); no
 * match is a 404 whose error code is `NoResults`.
 */
export function createAmazonProvider(options: AmazonProviderOptions): MarketplaceProvider {
  const accessKeyId = requireOption('amazon', 'an accessKey', options.accessKey);
  const secretAccessKey = requireOption('amazon', 'a secretKey', options.secretKey);
  const partnerTag = requireOption('amazon', 'a partnerTag', options.partnerTag);
  const host = options.host ?? 'webservices.amazon.de';
  const base = baseOf(options.baseURL, `https://${host}`);
  const region = options.region ?? 'eu-west-1';
  const store = options.marketplace ?? 'www.amazon.de';
  const timeoutMs = options.timeoutMs ?? defaultMarketplaceTimeoutMs;
  const fetchImpl = options.fetch ?? fetch;

  return {
    marketplace: 'amazon',
    async search(query) {
      const url = new URL(`${base}/paapi5/searchitems`);
      const body = JSON.stringify({
        Keywords: query.query,
        PartnerTag: partnerTag,
        PartnerType: 'Associates',
        Marketplace: store,
        ItemCount: Math.min(Math.max(query.limit, 1), 10),
        ...(query.priceMin === undefined ? {} : { MinPrice: Math.round(query.priceMin * 100) }),
        ...(query.priceMax === undefined ? {} : { MaxPrice: Math.round(query.priceMax * 100) }),
        ...(query.currency ? { CurrencyOfPreference: query.currency.toUpperCase() } : {}),
        Resources: paapiResources,
      });
      const headers = await signAwsRequest(
        {
          method: 'POST',
          url,
          headers: {
            accept: 'application/json, text/javascript',
            'content-encoding': 'amz-1.0',
            'content-type': 'application/json; charset=utf-8',
            'x-amz-target': paapiTarget,
          },
          body,
        },
        {
          credentials: { accessKeyId, secretAccessKey },
          region,
          service: 'ProductAdvertisingAPI',
          ...(options.signingDate ? { date: options.signingDate() } : {}),
        },
      );
      // The Host header is set by fetch from the URL; undici refuses it as a request header.
      delete headers.host;
      const response = await marketplaceRequest('amazon', url, {
        method: 'POST',
        headers,
        body,
        signal: query.signal,
        timeoutMs,
        fetch: fetchImpl,
        purpose: 'search',
        passStatuses: [404],
      });
      if (response.status === 404) {
        if (at(response.body, 'Errors', 0, 'Code') === 'NoResults') return { products: [] };
        throw unavailable('amazon', 'search: HTTP 404');
      }
      const result = at(response.body, 'SearchResult');
      if (result === null || typeof result !== 'object') throw garbled('amazon', 'a SearchResult');
      const items = at(result, 'Items') ?? [];
      if (!Array.isArray(items)) throw garbled('amazon', 'a SearchResult.Items list');
      return {
        products: withinQuery(
          items.map((item: unknown) => {
            const money =
              at(item, 'OffersV2', 'Listings', 0, 'Price', 'Money') ?? at(item, 'Offers', 'Listings', 0, 'Price');
            return product('amazon', {
              title: at(item, 'ItemInfo', 'Title', 'DisplayValue'),
              price: at(money, 'Amount'),
              currency: at(money, 'Currency'),
              url: at(item, 'DetailPageURL'),
              image: at(item, 'Images', 'Primary', 'Medium', 'URL'),
              rating: at(item, 'CustomerReviews', 'StarRating', 'Value'),
            });
          }),
          query,
        ),
      };
    },
  };
}
