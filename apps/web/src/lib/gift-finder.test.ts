import { describe, expect, it } from 'vitest';
import {
  applyGiftEvent,
  emptyLive,
  formatPrice,
  type GiftEvent,
  type GiftSession,
  mergeGiftSession,
  parseLinks,
  safeLink,
} from './gift-finder';

const snapshot: GiftSession = {
  id: 'gs_1',
  status: 'searching',
  recipient: 'Ana',
  currency: 'EUR',
  created_at: '2026-12-03T10:00:00.000Z',
  updated_at: '2026-12-03T10:00:00.000Z',
  messages: [{ id: 'm_1', role: 'assistant', text: 'Budget?', created_at: '2026-12-03T10:00:01.000Z' }],
  awaiting_answer: false,
  summary: null,
  profile: { status: 'none', interests: [], failures: [] },
  stages: [
    { stage: 'interview', status: 'completed' },
    { stage: 'fetch', status: 'started', progress: 0.5 },
  ],
  ideas: [],
  marketplaces: [{ marketplace: 'ebay', status: 'pending', count: 1 }],
  products: [],
  ranking: null,
  usage: { prompt_tokens: 0, completion_tokens: 0, cost: 0 },
};

const product = (id: string, marketplace = 'ebay') => ({
  id,
  idea_id: 'i',
  title: id,
  price: 1,
  currency: 'EUR',
  url: 'https://x.example',
  image: null,
  marketplace,
  rating: null,
});

describe('gift finder session state', () => {
  it('folds events idempotently: the replayed stream changes nothing', () => {
    const events: GiftEvent[] = [
      { type: 'question', data: { message: snapshot.messages[0] as GiftSession['messages'][number] } },
      { type: 'stage', data: { stage: 'fetch', status: 'started', progress: 0.7 } },
      { type: 'products', data: { idea_id: 'i', marketplace: 'ebay', products: [product('a'), product('b')] } },
      { type: 'products', data: { idea_id: 'i', marketplace: 'olx', products: [product('c', 'olx')] } },
    ];
    const once = events.reduce(applyGiftEvent, emptyLive);
    const twice = [...events, ...events].reduce(applyGiftEvent, emptyLive);
    expect(twice).toEqual(once);
    expect(once.marketplaceCounts).toEqual({ ebay: 2, olx: 1 });
    expect(once.status).toBe('searching');
  });

  it('merges snapshot and stream, each field taking whichever got further', () => {
    const live = [
      { type: 'stage', data: { stage: 'fetch', status: 'started', progress: 0.2 } },
      { type: 'stage', data: { stage: 'ideas', status: 'completed' } },
      { type: 'products', data: { idea_id: 'i', marketplace: 'ebay', products: [product('a'), product('b')] } },
      { type: 'products', data: { idea_id: 'i', marketplace: 'olx', products: [product('c', 'olx')] } },
    ].reduce((state, event) => applyGiftEvent(state, event as GiftEvent), emptyLive);
    const merged = mergeGiftSession(snapshot, live);
    expect(merged.stages.map((stage) => [stage.stage, stage.status, stage.progress])).toEqual([
      ['interview', 'completed', undefined],
      ['ideas', 'completed', undefined],
      ['fetch', 'started', 0.5],
    ]);
    expect(merged.marketplaces).toEqual([
      { marketplace: 'ebay', status: 'pending', count: 2 },
      { marketplace: 'olx', status: 'pending', count: 1 },
    ]);
    expect(merged.products.map((entry) => entry.id)).toEqual(['a', 'b', 'c']);
    // An older snapshot never takes the session back.
    const ended = applyGiftEvent(live, { type: 'done', data: { status: 'failed' } });
    expect(mergeGiftSession(snapshot, ended).status).toBe('failed');
    expect(mergeGiftSession({ ...snapshot, status: 'ready' }, live).status).toBe('ready');
  });

  it('takes a refusal as an interview message or as plain text', () => {
    const said = { id: 'm_9', role: 'assistant' as const, text: 'No.', created_at: '2026-12-03T10:00:09.000Z' };
    const asMessage = applyGiftEvent(emptyLive, { type: 'refused', data: { message: said } });
    expect([asMessage.refusal, asMessage.messages, asMessage.status]).toEqual(['No.', [said], 'refused']);
    const asText = applyGiftEvent(emptyLive, { type: 'refused', data: { message: 'No.' } });
    expect([asText.refusal, asText.messages, asText.status]).toEqual(['No.', [], 'refused']);
  });

  it('is awaiting an answer while interviewing and the assistant spoke last', () => {
    const interviewing = { ...snapshot, status: 'interviewing' as const, stages: [] };
    expect(mergeGiftSession(interviewing, emptyLive).awaiting_answer).toBe(true);
    const answered = applyGiftEvent(emptyLive, {
      type: 'answer',
      data: { message: { id: 'm_2', role: 'user', text: '50 euros', created_at: '2026-12-03T10:00:02.000Z' } },
    });
    expect(mergeGiftSession(interviewing, answered).awaiting_answer).toBe(false);
  });

  it('formats prices with Intl and keeps an unknown currency readable', () => {
    expect(formatPrice(12.5, 'USD', 'en-US')).toBe('$12.50');
    expect(formatPrice(12.5, 'EUR', 'de-DE')).toBe('12,50\u00a0€');
    expect(formatPrice(3, 'not-a-code', 'en-US')).toBe('3 not-a-code');
    expect(formatPrice(null, 'EUR')).toBe('Price not given');
  });

  it('accepts only http(s) links', () => {
    expect(safeLink('javascript:alert(1)')).toBeNull();
    expect(safeLink('https://shop.example/a b')).toBe('https://shop.example/a%20b');
    expect(parseLinks(' https://a.example/x \n\nftp://b.example\nhttp://c.example')).toEqual({
      links: ['https://a.example/x', 'http://c.example'],
      invalid: ['ftp://b.example'],
    });
  });
});
