import { describe, expect, it } from 'vitest';
import type { Product } from './gift-events';
import { diversify, heuristicScore, removeDuplicates } from './rerank-scoring';

const product = (id: string, overrides: Partial<Product> = {}): Product => ({
  id,
  ideaId: 'i1',
  title: `Product ${id}`,
  price: 20,
  currency: 'EUR',
  url: `https://shop.example/${id}`,
  image: null,
  marketplace: 'ebay',
  rating: null,
  ...overrides,
});

describe('reranking', () => {
  it('removes the same product listed twice (same link, or same title)', () => {
    const kept = removeDuplicates([
      product('a', { title: 'Wooden chess set' }),
      product('b', { title: 'wooden  CHESS set!', url: 'https://other.example/b' }),
      product('c', { url: 'https://shop.example/a?ref=2' }),
      product('d'),
    ]);
    expect(kept.map((item) => item.id)).toEqual(['a', 'd']);
  });

  it('scores interests, budget and dislikes', () => {
    const summary = {
      relation: null,
      age: null,
      interests: ['chess'],
      occasion: null,
      budget: { min: 10, max: 50, currency: 'EUR' },
      dislikes: ['glass'],
      notes: '',
    };
    const fits = heuristicScore(product('a', { title: 'Wooden chess set' }), undefined, summary, []);
    const pricey = heuristicScore(product('b', { title: 'Wooden chess set', price: 90 }), undefined, summary, []);
    const disliked = heuristicScore(product('c', { title: 'Glass chess set' }), undefined, summary, []);
    expect(fits.score).toBeGreaterThan(pricey.score);
    expect(fits.score).toBeGreaterThan(disliked.score);
    expect(fits.reason).toContain('within budget');
  });

  it('spreads the list over ideas and marketplaces', () => {
    const candidates = [
      { product: product('a1', { ideaId: 'a' }), score: 0.9, reason: '' },
      { product: product('a2', { ideaId: 'a' }), score: 0.85, reason: '' },
      { product: product('a3', { ideaId: 'a' }), score: 0.84, reason: '' },
      { product: product('b1', { ideaId: 'b', marketplace: 'olx' }), score: 0.8, reason: '' },
    ];
    expect(diversify(candidates, 3).map((entry) => entry.product.id)).toEqual(['a1', 'b1', 'a2']);
  });
});
