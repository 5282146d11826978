import { describe, expect, it } from 'vitest';
import { retryDelayFromBody, upstreamStatusError } from './errors';

const googleRateLimit = {
  error: {
    code: 429,
    message: 'Resource has been exhausted (e.g. check quota).',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' },
    ],
  },
};

describe('upstream rate limits', () => {
  it("reads Google's RetryInfo delay from the error body", () => {
    expect(retryDelayFromBody(googleRateLimit)).toBe(37);
    expect(retryDelayFromBody(JSON.stringify(googleRateLimit))).toBe(37);
    expect(retryDelayFromBody({ error: { details: [{ '@type': 'x.RetryInfo', retryDelay: '1.2s' }] } })).toBe(2);
    expect(retryDelayFromBody({ error: { message: 'slow down' } })).toBeUndefined();
    expect(retryDelayFromBody('not json')).toBeUndefined();
  });

  it('uses it for the retry delay of a 429 without Retry-After, and prefers the header when present', () => {
    const fromBody = upstreamStatusError({ providerId: 'gemini' }, 429, {}, JSON.stringify(googleRateLimit));
    expect(fromBody).toMatchObject({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED', isRetryable: true, retryAfterSeconds: 37 });
    const fromHeader = upstreamStatusError({ providerId: 'gemini' }, 429, { 'retry-after': '5' }, googleRateLimit);
    expect(fromHeader.retryAfterSeconds).toBe(5);
  });
});
