import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkDependency, openingDatabaseTimeoutMs } from './operations-routes';

/** A check that answers when the test says so. */
function pendingCheck() {
  let answer: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    answer = resolve;
  });
  return { check: () => promise, answer: () => answer() };
}

describe('a readiness check', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails a dependency that does not answer within 2 s', async () => {
    const { check } = pendingCheck();
    const result = checkDependency(check);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toMatchObject({ ok: false, error: 'timed out after 2s' });
  });

  it('waits for a lazily opened database whose first open is under way (a fresh start)', async () => {
    const { check, answer } = pendingCheck();
    let opening = true;
    let settled = false;
    const result = checkDependency(check, () => opening).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(9_000);
    expect(settled).toBe(false);
    opening = false;
    answer();
    await expect(result).resolves.toMatchObject({ ok: true });
  });

  it('still gives up on an open that never ends', async () => {
    const { check } = pendingCheck();
    const result = checkDependency(check, () => true);
    await vi.advanceTimersByTimeAsync(openingDatabaseTimeoutMs);
    await expect(result).resolves.toMatchObject({
      ok: false,
      error: `timed out after ${openingDatabaseTimeoutMs / 1000}s`,
    });
  });
});
