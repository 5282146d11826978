import { describe, expect, it } from 'vitest';
import { responseCacheKey } from './response-cache';

// The stores themselves are covered by the contract suite in response-cache.contract.test.ts.
describe('cache keys', () => {
  const request = { messages: [{ role: 'user', content: 'hi' }], temperature: 0 };
  it('differ by environment, model and answer-changing parameters, not by irrelevant fields', () => {
    const base = responseCacheKey({ environment: 'prod', model: 'm', request });
    expect(responseCacheKey({ environment: 'dev', model: 'm', request })).not.toBe(base);
    expect(responseCacheKey({ environment: 'prod', model: 'other', request })).not.toBe(base);
    expect(responseCacheKey({ environment: 'prod', model: 'm', request: { ...request, max_tokens: 5 } })).not.toBe(
      base,
    );
    expect(responseCacheKey({ environment: 'prod', model: 'm', request: { ...request, user: 'someone' } })).toBe(base);
  });
});
