import { describe, expect, it } from 'vitest';
import { ApiError, describeError, errorFromResponse } from './api';

const response = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('API error mapping', () => {
  it('reads Switchyard errors with Retry-After', async () => {
    const error = await errorFromResponse(
      response(429, { error: { code: 'SY_ERR_RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '42' }),
    );
    expect(error).toMatchObject({ status: 429, code: 'SY_ERR_RATE_LIMITED', retryAfter: 42 });
    expect(describeError(error)).toEqual({ title: 'Too many requests', detail: 'Try again in 42 seconds.' });
    const long = new ApiError(429, 'SY_ERR_RATE_LIMITED', '', 600);
    expect(describeError(long).detail).toBe('Try again in 10 minutes.');
  });

  it('reads better-auth errors: a wrong password is a failed sign-in, not an ended session', async () => {
    const error = await errorFromResponse(
      response(401, { code: 'INVALID_EMAIL_OR_PASSWORD', message: 'Invalid email' }),
    );
    expect(error.code).toBe('INVALID_EMAIL_OR_PASSWORD');
    const described = describeError(error);
    expect(described).toEqual({ title: 'Sign-in failed', detail: 'The email or password is not right.' });
    expect(described.signIn).toBeUndefined();
  });

  it('sends other 401s to sign-in', async () => {
    const error = await errorFromResponse(response(401, { error: { code: 'SY_ERR_UNAUTHORIZED', message: 'x' } }));
    expect(describeError(error)).toMatchObject({ title: 'Please sign in', signIn: true });
  });

  it('speaks the chosen language, with its plural forms', async () => {
    const { i18n } = await import('./i18n');
    await i18n.changeLanguage('pl');
    try {
      expect(describeError(new ApiError(429, 'SY_ERR_RATE_LIMITED', 'slow', 5))).toEqual({
        title: 'Za dużo zapytań',
        detail: 'Spróbuj ponownie za 5 sekund.',
      });
      expect(describeError(new ApiError(429, 'SY_ERR_RATE_LIMITED', 'slow', 120)).detail).toBe(
        'Spróbuj ponownie za 2 minuty.',
      );
    } finally {
      await i18n.changeLanguage('en');
    }
  });

  it('names quota, model and validation errors', () => {
    expect(describeError(new ApiError(429, 'SY_ERR_QUOTA_EXCEEDED', 'Daily image quota used')).title).toBe(
      'Quota used up',
    );
    expect(describeError(new ApiError(403, 'SY_ERR_MODEL_NOT_ALLOWED', "Key may not use 'smart'"))).toEqual({
      title: 'Model not allowed',
      detail: "Key may not use 'smart'",
    });
    expect(describeError(new ApiError(400, 'SY_ERR_VALIDATION', 'bad')).title).toBe('Invalid input');
    expect(describeError(new ApiError(502, 'SY_ERR_UPSTREAM', 'down')).title).toBe('Server problem');
    expect(describeError(new TypeError('Failed to fetch')).title).toBe('Network problem');
  });

  it('says when a used-up budget resets (402 SY_ERR_BUDGET_EXCEEDED)', async () => {
    const error = await errorFromResponse(
      response(
        402,
        {
          error: {
            code: 'SY_ERR_BUDGET_EXCEEDED',
            message: "The token budget of plan 'free' is used up",
            resets_at: '2026-12-04T00:00:00.000Z',
          },
        },
        { 'retry-after': '7200' },
      ),
    );
    expect(error).toMatchObject({ status: 402, resetsAt: '2026-12-04T00:00:00.000Z' });
    const described = describeError(error);
    expect(described.title).toBe('Budget used up');
    expect(described.detail).toMatch(/^Your plan's budget is used up until .*2026/);
    expect(describeError(new ApiError(402, 'SY_ERR_BUDGET_EXCEEDED', 'plain')).detail).toBe('plain');
  });

  it('survives a body that is not JSON', async () => {
    const error = await errorFromResponse(new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', message: 'Bad Gateway' });
  });
});
