import { createMemoryRateLimiter, createSettingsSnapshot, SwitchyardError } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { authFailureSetting, createAuthFailureLimit } from './auth-failure-limit';

function limitOf(perIp: number) {
  const snapshot = createSettingsSnapshot([{ key: authFailureSetting, value: perIp, updatedAt: null }]);
  // The real in-process limiter; its window runs on Date and setTimeout, which the fake clock drives.
  return createAuthFailureLimit({ limiter: createMemoryRateLimiter(), settings: { current: () => snapshot } });
}

async function rejection(promise: Promise<unknown>): Promise<SwitchyardError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SwitchyardError);
  return error as SwitchyardError;
}

describe('failed authentications per client IP', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets `limit` failures through, refuses the next with 429 and Retry-After, and reopens after the window', async () => {
    const failures = limitOf(3);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await failures.assertOpen('203.0.113.1');
      await failures.fail('203.0.113.1');
    }
    await failures.assertOpen('203.0.113.1');
    const crossing = await rejection(failures.fail('203.0.113.1'));
    expect(crossing.code).toBe('SY_ERR_RATE_LIMITED');
    expect(crossing.retryAfterSeconds).toBe(60);

    vi.advanceTimersByTime(20_000);
    const locked = await rejection(failures.assertOpen('203.0.113.1'));
    expect(locked.code).toBe('SY_ERR_RATE_LIMITED');
    expect(locked.retryAfterSeconds).toBe(40);
    expect(await failures.isOpen('203.0.113.1')).toBe(false);
    // Another address has its own count.
    expect(await failures.isOpen('203.0.113.2')).toBe(true);

    vi.advanceTimersByTime(40_000);
    expect(await failures.isOpen('203.0.113.1')).toBe(true);
    await failures.assertOpen('203.0.113.1');
    await failures.fail('203.0.113.1');
  });

  it('counts nothing when only asked', async () => {
    const failures = limitOf(1);
    for (let check = 0; check < 5; check += 1) await failures.assertOpen('203.0.113.3');
    await failures.fail('203.0.113.3');
    await expect(failures.fail('203.0.113.3')).rejects.toThrow(/Too many failed authentications/);
  });
});
