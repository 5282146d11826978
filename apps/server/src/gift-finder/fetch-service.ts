import { createHash } from 'node:crypto';
import type { Environment, GiftFinderConfig } from '@switchyard/core';
import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createGiftFetchRepository } from '@switchyard/db';
import type { MarketplaceProduct, MarketplaceProvider } from '../marketplaces/marketplace-provider';
import type { GiftEvent, GiftPayload, Idea, Product } from './gift-events';
import {
  type GiftServiceContext,
  guarded,
  inService,
  publishFor,
  publishStage,
  subscribeForEvent,
} from './gift-service-context';

/** Fans GiftIdeasReady out to one ProductsFetchRequested per configured marketplace. */
export const fetchGroup = 'gift-fetch';
/** One consumer group per marketplace: a slow or failing marketplace holds up no other. */
export const marketplaceGroup = (marketplace: string) => `gift-fetch-${marketplace}`;

const defaultProductsPerIdea = 5;
const defaultSearchTimeoutMs = 30_000;
const defaultMaxRetryAfterSeconds = 60;

/** The same product of the same search gets the same id, so a replayed event never adds a second copy. */
export function productId(sessionId: string, marketplace: string, ideaId: string, url: string): string {
  return `p_${createHash('sha256').update(`${sessionId}\n${marketplace}\n${ideaId}\n${url}`).digest('hex').slice(0, 24)}`;
}

function toProduct(sessionId: string, ideaId: string, item: MarketplaceProduct): Product {
  return {
    id: productId(sessionId, item.marketplace, ideaId, item.url),
    ideaId,
    title: item.title.slice(0, 1_000),
    price: item.price,
    currency: item.currency,
    url: item.url.slice(0, 4_000),
    image: item.image ? item.image.slice(0, 4_000) : null,
    marketplace: item.marketplace,
    rating: item.rating,
  };
}

/** The marketplace is not to be asked again yet (its Retry-After); the bus delivers the event again later. */
class RetryLater extends SwitchyardError {
  constructor(marketplace: string, seconds: number) {
    super('SY_ERR_UPSTREAM_RATE_LIMITED', `Marketplace ${marketplace} asked to wait ${seconds} s`, {
      retryAfterSeconds: seconds,
    });
  }
}

/**
 * The marketplace fetchers (the seed's fetch-microservice per marketplace): each searches every idea
 * on its marketplace with its own limits, stores each idea's products once, and reports
 * ProductsFetched with status completed, failed or rate_limited (a 429's Retry-After is honoured:
 * the marketplace is not asked again before it; longer than `maxRetryAfterSeconds` or on the last
 * attempt, the marketplace is reported rate_limited with what it gave so far).
 */
export function createFetchService(
  service: GiftServiceContext,
  providers: readonly MarketplaceProvider[],
  config: GiftFinderConfig,
) {
  const maxRetryAfter = config.maxRetryAfterSeconds ?? defaultMaxRetryAfterSeconds;

  /** The service's steps for one delivery, in the context of its event (forEvent). */
  const inContext = (context: GiftServiceContext) => {
    async function dispatch(event: GiftEvent<'GiftIdeasReady'>): Promise<void> {
      const { sessionId, ideas, currency } = event.payload;
      const environment = event.environment;
      const marketplaces = providers.map((provider) => provider.marketplace);
      await publishStage(context, environment, sessionId, 'fetch', 'started', { progress: 0 });
      if (marketplaces.length === 0) {
        await publishFor(
          context,
          environment,
          sessionId,
          'ProductsFetched',
          {
            sessionId,
            marketplace: 'none',
            marketplaces: ['none'],
            status: 'skipped',
            message: 'No marketplace is configured',
            results: [],
          },
          'fetched-none',
        );
        return;
      }
      for (const marketplace of marketplaces) {
        await publishFor(
          context,
          environment,
          sessionId,
          'ProductsFetchRequested',
          { sessionId, marketplace, marketplaces, ideas, currency },
          `fetch-${marketplace}`,
        );
      }
    }

    async function report(
      environment: Environment,
      request: GiftPayload<'ProductsFetchRequested'>,
      stored: Map<string, unknown>,
      status: 'completed' | 'failed' | 'rate_limited',
      message?: string,
    ) {
      const results = request.ideas
        .filter((idea) => stored.has(idea.id))
        .map((idea) => ({ ideaId: idea.id, products: stored.get(idea.id) as Product[] }));
      await publishFor(
        context,
        environment,
        request.sessionId,
        'ProductsFetched',
        {
          sessionId: request.sessionId,
          marketplace: request.marketplace,
          marketplaces: request.marketplaces,
          status,
          ...(message ? { message: message.slice(0, 2_000) } : {}),
          results,
        },
        `fetched-${request.marketplace}`,
      );
    }

    async function search(
      event: GiftEvent<'ProductsFetchRequested'>,
      provider: MarketplaceProvider,
      lastAttempt: boolean,
    ): Promise<void> {
      const request = event.payload;
      const { sessionId, marketplace } = request;
      const environment = event.environment;
      const limits = config.fetch?.[marketplace] ?? {};
      const repository = (work: (fetches: ReturnType<typeof createGiftFetchRepository>) => Promise<unknown>) =>
        inService(context, environment, 'fetch', (db) => work(createGiftFetchRepository(db)));
      const stored = (await repository((fetches) => fetches.searches(sessionId, marketplace))) as Map<string, unknown>;
      const notBefore = (await repository((fetches) => fetches.notBefore(sessionId, marketplace))) as Date | null;
      const now = context.now();
      if (notBefore && notBefore > now) {
        const seconds = Math.ceil((notBefore.getTime() - now.getTime()) / 1_000);
        if (lastAttempt) {
          await report(
            environment,
            request,
            stored,
            'rate_limited',
            `${marketplace} is rate limiting (retry after ${seconds} s)`,
          );
          return;
        }
        throw new RetryLater(marketplace, seconds);
      }
      const deadline = AbortSignal.timeout(limits.timeoutMs ?? defaultSearchTimeoutMs);
      for (const idea of request.ideas as Idea[]) {
        if (stored.has(idea.id)) continue;
        try {
          const result = await provider.search({
            query: idea.query,
            ...(idea.priceMin !== null ? { priceMin: idea.priceMin } : {}),
            ...(idea.priceMax !== null ? { priceMax: idea.priceMax } : {}),
            currency: request.currency,
            limit: limits.productsPerIdea ?? defaultProductsPerIdea,
            signal: deadline,
          });
          const products = result.products.map((item) => toProduct(sessionId, idea.id, item));
          await repository((fetches) => fetches.saveSearch(sessionId, marketplace, idea.id, products, context.now()));
          stored.set(idea.id, products);
        } catch (error) {
          if (isSwitchyardError(error) && error.code === 'SY_ERR_UPSTREAM_RATE_LIMITED') {
            const seconds = error.retryAfterSeconds ?? 1;
            if (lastAttempt || seconds > maxRetryAfter) {
              await report(
                environment,
                request,
                stored,
                'rate_limited',
                `${marketplace} is rate limiting (retry after ${seconds} s)`,
              );
              return;
            }
            await repository((fetches) =>
              fetches.setNotBefore(sessionId, marketplace, new Date(context.now().getTime() + seconds * 1_000)),
            );
            throw new RetryLater(marketplace, seconds);
          }
          if (lastAttempt) {
            const reason = isSwitchyardError(error) ? error.message : `${marketplace} could not be searched`;
            await report(environment, request, stored, 'failed', reason);
            return;
          }
          throw error;
        }
      }
      await report(environment, request, stored, 'completed');
    }

    return { dispatch, search };
  };

  return {
    /** Subscribes the dispatcher and one group per configured marketplace. */
    async subscribe(): Promise<void> {
      await subscribeForEvent(service, fetchGroup, 'GiftIdeasReady', (context) => async (event, delivery) => {
        await guarded(context, event, delivery, 'fetch', () =>
          inContext(context).dispatch(event as GiftEvent<'GiftIdeasReady'>),
        );
      });
      for (const provider of providers) {
        await subscribeForEvent(
          service,
          marketplaceGroup(provider.marketplace),
          'ProductsFetchRequested',
          (context) => async (event, delivery) => {
            const typed = event as GiftEvent<'ProductsFetchRequested'>;
            if (typed.payload.marketplace !== provider.marketplace) return;
            await inContext(context).search(typed, provider, delivery.attempt >= delivery.maxAttempts);
          },
        );
      }
    },
  };
}
