import { type RateLimitDecision, type RateLimiter, rateLimitWindowMs } from './rate-limiter';

/** Limits below this are counted exactly, one store round trip per hit. */
export const batchingMinimumLimit = 32;

/**
 * How many hits one reservation takes from the shared store for a limit: at
 * most `maxBatch`, at most 1/16 of the limit, 1 (no batching) below
 * {@link batchingMinimumLimit}.
 */
export function reservationSize(limit: number, maxBatch = 64): number {
  if (limit < batchingMinimumLimit) return 1;
  return Math.max(1, Math.min(maxBatch, Math.floor(limit / 16)));
}

interface Reservation {
  /** Hits reserved in the store and not handed out yet. */
  left: number;
  /** The bucket's count in the store after the last reservation, minus what it reserved beyond the limit. */
  consumed: number;
  /** Date.now() at which the store's window (and so the reservation) ends. */
  expiresAt: number;
  pending: Promise<void> | null;
}

/**
 * A shared (Redis) limiter without a round trip per hit. For limits of at
 * least {@link batchingMinimumLimit} per window, each process reserves several
 * hits at once in the store (`reservationSize`: up to 64, at most 1/16 of the
 * limit) and hands them out locally until they run out or the window ends.
 *
 * Tolerance (also in docs/architecture.md, request path): the shared limit is never
 * exceeded (every allowed hit was counted in the store first), but hits a
 * process reserved and did not use are lost for that window, so across N
 * processes up to N × (reservation − 1) hits per window may be refused early,
 * at most 1/16 of the limit per process. `remaining` is exact for one process
 * and an estimate (this process's view) for several. Smaller limits are
 * counted exactly, as before.
 */
export function createBatchedRateLimiter(inner: RateLimiter, maxBatch = 64): RateLimiter {
  if (!inner.reserve) return inner;
  const reserve: NonNullable<RateLimiter['reserve']> = inner.reserve.bind(inner);
  const reservations = new Map<string, Reservation>();
  let sweepAt = 0;

  function sweep(now: number): void {
    // Expired reservations are dropped at most once a second, so idle buckets do not pile up.
    if (now < sweepAt) return;
    sweepAt = now + 1000;
    for (const [key, reservation] of reservations) {
      if (reservation.expiresAt <= now && !reservation.pending) reservations.delete(key);
    }
  }

  async function hit(bucket: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const size = reservationSize(limit, maxBatch);
    const key = `${windowMs}:${bucket}`;
    while (true) {
      const now = Date.now();
      const current = reservations.get(key);
      if (current && current.expiresAt > now && current.left > 0) {
        current.left -= 1;
        return {
          allowed: true,
          limit,
          remaining: Math.max(0, limit - (current.consumed - current.left)),
          resetMs: current.expiresAt - now,
        };
      }
      // Another hit is already fetching the next reservation: wait for it instead of asking too.
      if (current?.pending) {
        await current.pending;
        continue;
      }
      if (size <= 1) {
        reservations.delete(key);
        return inner.hit(bucket, limit, { windowMs });
      }
      const entry: Reservation =
        current && current.expiresAt > now
          ? current
          : {
              left: 0,
              consumed: 0,
              expiresAt: 0,
              pending: null,
            };
      sweep(now);
      reservations.set(key, entry);
      const fetched = reserve(bucket, size, { windowMs });
      entry.pending = fetched.then(
        () => {},
        () => {},
      );
      let outcome: { consumed: number; resetMs: number };
      try {
        outcome = await fetched;
      } finally {
        entry.pending = null;
      }
      const { consumed, resetMs } = outcome;
      const before = consumed - size;
      // Of the hits just counted, those within the limit are ours to hand out; the rest are refused.
      const granted = Math.max(0, Math.min(size, limit - before));
      entry.expiresAt = Date.now() + resetMs;
      if (granted === 0) {
        entry.left = 0;
        entry.consumed = limit;
        return { allowed: false, limit, remaining: 0, resetMs };
      }
      entry.left = granted - 1;
      entry.consumed = before + granted;
      return {
        allowed: true,
        limit,
        remaining: Math.max(0, limit - (entry.consumed - entry.left)),
        resetMs,
      };
    }
  }

  return {
    backend: inner.backend,
    hit: (bucket, limit, options) => hit(bucket, limit, options?.windowMs ?? rateLimitWindowMs),
    async peek(bucket, limit, options) {
      const decision = await inner.peek(bucket, limit, options);
      const reservation = reservations.get(`${options?.windowMs ?? rateLimitWindowMs}:${bucket}`);
      if (!reservation || reservation.expiresAt <= Date.now() || reservation.left === 0) return decision;
      // Reserved here but not used yet: still available.
      const remaining = Math.min(limit, decision.remaining + reservation.left);
      return { ...decision, remaining, allowed: decision.allowed || remaining > 0 };
    },
    async refund(bucket, options) {
      const reservation = reservations.get(`${options?.windowMs ?? rateLimitWindowMs}:${bucket}`);
      if (reservation && reservation.expiresAt > Date.now() && !reservation.pending) {
        reservation.left += 1;
        return;
      }
      await inner.refund(bucket, options);
    },
    reserve,
  };
}
