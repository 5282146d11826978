import { createGiftRerankRepository, openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import type { EventContext, EventEnvelope } from '@switchyard/events';
import { eventually } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Databases } from '../infrastructure/databases';
import type { Idea, Product } from './gift-events';
import { noUsage } from './gift-events';
import type { GiftModel } from './gift-model';
import type { GiftServiceContext } from './gift-service-context';
import { createRerankService, rerankGroup } from './rerank-service';

/**
 * The rerank service against a real database and a bus the test drives by hand: two deliveries of the
 * event that completed a round (a copy the bus delivered again, handled while the first still works)
 * ask the model once. Delivery is at-least-once on every backend; RabbitMQ and Redis Streams can hand
 * two copies of one event id to a group at once (both are checked against the consumed record before
 * either finished).
 */
type Handler = (event: EventEnvelope<never>, delivery: EventContext) => Promise<void>;

const waitingLine = 'gift finder: another delivery is ranking this session; waiting for it';
const ideas: Idea[] = [
  { id: 'idea-1', title: 'A chess set', reason: 'She plays', query: 'chess set', priceMin: null, priceMax: 80 },
];
const products: Product[] = ['Wooden chess set', 'Travel chess set', 'Chess clock'].map((title, index) => ({
  id: `product-${index}`,
  ideaId: 'idea-1',
  title,
  price: 20 + index,
  currency: 'EUR',
  url: `https://shop.example/${index}`,
  image: null,
  marketplace: 'ebay',
  rating: null,
}));

let database: SwitchyardDatabase;

beforeAll(async () => {
  database = await openDatabase({ kind: 'pglite', dataDir: null });
}, 60_000);

afterAll(async () => {
  await database?.close();
});

/** A model whose rerank answers wait for `release`; each call is counted, the first `failures` calls fail. */
function heldModel() {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const model = {
    calls: 0,
    failures: 0,
    release: () => release(),
    modelFor: () => 'gift-model',
    async json(_task: string, _messages: unknown, check: (value: unknown) => { ok: boolean; value?: unknown }) {
      model.calls += 1;
      await gate;
      if (model.failures > 0) {
        model.failures -= 1;
        throw new Error('upstream down');
      }
      const checked = check({ scores: products.map((product) => ({ id: product.id, score: 7, reason: 'fits' })) });
      return { value: checked.value, usage: { promptTokens: 10, completionTokens: 5, cost: 0 } };
    },
  };
  return model;
}

function setUp(sessionId: string) {
  const model = heldModel();
  const info: Array<{ sessionId?: string; message: string }> = [];
  const published: Array<{ name: string; id: string; payload: Record<string, unknown> }> = [];
  let handler: Handler | undefined;
  const context = {
    bus: {
      subscribe: async (group: string, _names: unknown, subscribed: Handler) => {
        expect(group).toBe(rerankGroup);
        handler = subscribed;
      },
      publish: async (name: string, payload: Record<string, unknown>, options: { id: string }) => {
        published.push({ name, id: options.id, payload });
        return {} as never;
      },
    },
    databases: { prod: database, dev: database } as unknown as Databases,
    useRoles: false,
    logger: {
      info: (fields: { sessionId?: string }, message: string) => info.push({ ...fields, message }),
      warn: () => {},
      child() {
        return this;
      },
    },
    now: () => new Date(),
  } as unknown as GiftServiceContext;
  const service = createRerankService(context, model as unknown as GiftModel);
  const envelope = (name: string, id: string, payload: Record<string, unknown>) =>
    ({
      id,
      name,
      version: 1,
      environment: 'prod',
      flowId: sessionId,
      payload: { sessionId, ...payload },
      publishedAt: new Date().toISOString(),
    }) as EventEnvelope<never>;
  const deliver = (event: EventEnvelope<never>) => {
    if (!handler) throw new Error('not subscribed');
    return handler(event, { group: rerankGroup, attempt: 1, maxAttempts: 5, recordConsumed: async () => {} });
  };
  const ideasReady = envelope('GiftIdeasReady', `${sessionId}-ideas`, {
    ideas,
    summary: null,
    profileInterests: [],
    currency: 'EUR',
    usage: noUsage,
  });
  /** The round's only marketplace: this event completes it, so it triggers the ranking. */
  const trigger = envelope('ProductsFetched', `${sessionId}-fetched-ebay`, {
    marketplace: 'ebay',
    marketplaces: ['ebay'],
    status: 'completed',
    results: [{ ideaId: 'idea-1', products }],
  });
  const waits = () => info.filter((line) => line.message === waitingLine && line.sessionId === sessionId).length;
  const ready = () => published.filter((event) => event.name === 'GiftReady');
  return { service, model, deliver, ideasReady, trigger, waits, ready };
}

describe('reranking when the triggering event is delivered twice at once', () => {
  it('asks the model once: the second delivery waits for the first one’s ranking', async () => {
    const { service, model, deliver, ideasReady, trigger, waits, ready } = setUp('gift_claim_once');
    await service.subscribe();
    await deliver(ideasReady);
    const first = deliver(trigger);
    await eventually(() => expect(model.calls).toBe(1));
    // The bus hands the same event to the group again while the first delivery waits for the model.
    const second = deliver(trigger);
    await eventually(() => expect(waits()).toBe(1));
    expect(model.calls).toBe(1);
    model.release();
    await Promise.all([first, second]);
    expect(model.calls).toBe(1);
    // Both announce the one stored ranking under the same event id (which consumers skip the second time).
    expect(ready().map((event) => event.id)).toEqual(['gift_claim_once-ready', 'gift_claim_once-ready']);
    const [announced, again] = ready().map((event) => event.payload.ranking);
    expect(again).toEqual(announced);
    const stored = await createGiftRerankRepository(database.db).saveRanking('gift_claim_once', [], new Date());
    expect(stored).toEqual(announced);
  });

  it('lets the waiting delivery rank when the first one fails, so the session is not left waiting', async () => {
    const { service, model, deliver, ideasReady, trigger, waits, ready } = setUp('gift_claim_failed');
    await service.subscribe();
    await deliver(ideasReady);
    const first = deliver(trigger);
    await eventually(() => expect(model.calls).toBe(1));
    const second = deliver(trigger);
    await eventually(() => expect(waits()).toBe(1));
    // The upstream fails the first delivery (the bus would retry it); its claim is given up at once,
    // and the waiting delivery asks the model itself.
    model.failures = 1;
    model.release();
    await expect(first).rejects.toThrow('upstream down');
    await second;
    expect(model.calls).toBe(2);
    expect(ready()).toHaveLength(1);
  });

  it('takes over a claim whose holder died once it lapses', async () => {
    const { service, model, deliver, ideasReady, trigger } = setUp('gift_claim_lapsed');
    await service.subscribe();
    await deliver(ideasReady);
    // A process that claimed the ranking and was killed: its claim ran out a moment ago.
    const repository = createGiftRerankRepository(database.db);
    const past = new Date(Date.now() - 120_000);
    expect(
      await repository.claimRanking('gift_claim_lapsed', 'killed-process', past, new Date(Date.now() - 1)),
    ).toEqual({ outcome: 'claimed' });
    model.release();
    await deliver(trigger);
    expect(model.calls).toBe(1);
  });
});
