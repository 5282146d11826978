import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../errors';
import { backoffDelayMs } from './backoff';
import { runWithFallbacks } from './fallback';
import { createInFlightTracker, orderDeployments } from './load-balancer';

const policy = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, deadlineMs: 5_000 };
const rateLimited = (seconds?: number) =>
  new SwitchyardError(
    'SY_ERR_UPSTREAM_RATE_LIMITED',
    'slow down',
    seconds === undefined ? {} : { retryAfterSeconds: seconds },
  );

describe('runWithFallbacks', () => {
  it('moves to the next candidate on a retryable failure and says who answered', async () => {
    const tried: string[] = [];
    const result = await runWithFallbacks(
      ['a', 'b', 'c'],
      async (candidate) => {
        tried.push(candidate);
        if (candidate === 'a') throw new SwitchyardError('SY_ERR_UPSTREAM', 'a is down');
        return `answer from ${candidate}`;
      },
      policy,
    );
    expect(result).toEqual({ value: 'answer from b', candidate: 'b', attempts: 2 });
    expect(tried).toEqual(['a', 'b']);
  });

  it('stops at once on a non-retryable failure', async () => {
    const tried: string[] = [];
    await expect(
      runWithFallbacks(
        ['a', 'b'],
        async (candidate) => {
          tried.push(candidate);
          throw new SwitchyardError('SY_ERR_UPSTREAM_BAD_REQUEST', 'bad');
        },
        policy,
      ),
    ).rejects.toMatchObject({ code: 'SY_ERR_UPSTREAM_BAD_REQUEST' });
    expect(tried).toEqual(['a']);
  });

  it('retries whole rounds with back-off, then gives up with the last error', async () => {
    let calls = 0;
    await expect(
      runWithFallbacks(
        ['a', 'b'],
        async () => {
          calls += 1;
          throw new SwitchyardError('SY_ERR_UPSTREAM_TIMEOUT', 'slow');
        },
        policy,
      ),
    ).rejects.toMatchObject({ code: 'SY_ERR_UPSTREAM_TIMEOUT' });
    expect(calls).toBe(6);
  });

  it('honours Retry-After between rounds and succeeds when the upstream recovers', async () => {
    let calls = 0;
    const started = Date.now();
    const result = await runWithFallbacks(
      ['only'],
      async () => {
        calls += 1;
        if (calls === 1) throw rateLimited(1);
        return 'ok';
      },
      policy,
    );
    expect(result.value).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('does not wait past the deadline for a long Retry-After', async () => {
    const started = Date.now();
    await expect(
      runWithFallbacks(['only'], async () => Promise.reject(rateLimited(30)), { ...policy, deadlineMs: 1_000 }),
    ).rejects.toMatchObject({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED' });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('passes a caller abort straight through', async () => {
    const controller = new AbortController();
    const pending = runWithFallbacks(
      ['a'],
      (_candidate, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      policy,
      { signal: controller.signal },
    );
    controller.abort();
    await expect(pending).rejects.toThrow('aborted');
  });
});

describe('back-off', () => {
  it('grows exponentially within the cap and never undercuts Retry-After', () => {
    const limits = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelayMs(1, limits, undefined, () => 1)).toBe(100);
    expect(backoffDelayMs(3, limits, undefined, () => 1)).toBe(400);
    expect(backoffDelayMs(10, limits, undefined, () => 1)).toBe(1_000);
    expect(backoffDelayMs(2, limits, undefined, () => 0.5)).toBe(100);
    expect(backoffDelayMs(1, limits, 3, () => 1)).toBe(3_000);
  });
});

describe('load balancing', () => {
  const deployments = [
    { id: 'heavy', weight: 3 },
    { id: 'light', weight: 1 },
  ];

  it('splits first choices by weight', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const firsts = Array.from(
      { length: 4000 },
      () => orderDeployments(deployments, 'weighted', () => 0, random)[0]?.id,
    );
    const heavyShare = firsts.filter((id) => id === 'heavy').length / firsts.length;
    expect(heavyShare).toBeGreaterThan(0.7);
    expect(heavyShare).toBeLessThan(0.8);
  });

  it('always lists every deployment once, the rest as fallbacks', () => {
    const order = orderDeployments([...deployments, { id: 'third', weight: 1 }], 'weighted', () => 0);
    expect(order.map((deployment) => deployment.id).sort()).toEqual(['heavy', 'light', 'third']);
  });

  it('least-busy prefers the deployment with fewer requests in flight', () => {
    const tracker = createInFlightTracker();
    const done = tracker.start('heavy');
    expect(orderDeployments(deployments, 'least-busy', tracker.count)[0]?.id).toBe('light');
    done();
    expect(orderDeployments(deployments, 'least-busy', tracker.count)[0]?.id).toBe('heavy');
  });
});
