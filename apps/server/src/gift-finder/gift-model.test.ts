import { describe, expect, it } from 'vitest';
import { extractJson } from './gift-model';
import { checkIdeas } from './ideas-service';
import { checkSummary } from './interview-service';

describe('reading a model’s JSON answer', () => {
  it('finds the object as is, in a fence, in prose, and forgives a trailing comma', () => {
    expect(extractJson('{"a":1}')).toEqual({ a: 1 });
    expect(extractJson('```json\n{"a":[1,2,],}\n```')).toEqual({ a: [1, 2] });
    expect(extractJson('Here you go: {"a":"b"} hope it helps')).toEqual({ a: 'b' });
    expect(extractJson('{"action": "ask", "question": ')).toBeUndefined();
    expect(extractJson('no json at all')).toBeUndefined();
    expect(extractJson('"just a string"')).toBeUndefined();
  });

  it('keeps only usable ideas, swaps a reversed price range and gives deterministic ids', () => {
    const checked = checkIdeas(
      {
        ideas: [{ title: 'Chess', query: 'chess set', price_min: 90, price_max: '20' }, { title: 'no query' }, 'junk'],
      },
      'S1',
      5,
    );
    expect(checked).toEqual({
      ok: true,
      value: [{ id: 'S1-i1', title: 'Chess', reason: '', query: 'chess set', priceMin: 20, priceMax: 90 }],
    });
    expect(checkIdeas({ ideas: [] }, 'S1', 5).ok).toBe(false);
    expect(checkIdeas({ nothing: true }, 'S1', 5).ok).toBe(false);
  });

  it('normalises an interview summary (numbers as text, a bad budget dropped, the session currency as default)', () => {
    const checked = checkSummary(
      { relation: 'brother', age: 12, interests: ['lego', 3, ''], budget: { min: 50, max: 10 }, dislikes: 'x' },
      'PLN',
    );
    expect(checked).toEqual({
      ok: true,
      value: {
        relation: 'brother',
        age: '12',
        interests: ['lego'],
        occasion: null,
        budget: null,
        dislikes: [],
        notes: '',
      },
    });
    const withBudget = checkSummary({ budget: { max: 100 } }, 'PLN');
    expect(withBudget.ok && withBudget.value.budget).toEqual({ min: 0, max: 100, currency: 'PLN' });
  });
});
