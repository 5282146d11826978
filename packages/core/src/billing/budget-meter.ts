/** Tokens and nano-dollars: the two things a budget counts. */
export interface BudgetAmounts {
  tokens: number;
  nanoDollars: number;
}

/** Per dimension; null: that dimension has no limit. */
export interface BudgetLimits {
  tokens: number | null;
  nanoDollars: number | null;
}

export interface BudgetAdmission {
  /**
   * admitted: counted as in flight (settle it); exhausted: the period's spend already reached a limit;
   * wait: the request does not fit beside the requests in flight: wait for one to settle, then ask again.
   */
  outcome: 'admitted' | 'exhausted' | 'wait';
  /** Spend settled so far in the period (in-flight estimates not included). */
  spent: BudgetAmounts;
}

export interface BudgetAdmitInput {
  /** One counter per subject, environment and period, e.g. `prod:m2026-12:user:42`. */
  bucket: string;
  limits: BudgetLimits;
  /**
   * What the request is expected to cost (the largest recent cost of this subject); null when
   * nothing is known yet, so the request only goes ahead alone (see admit).
   */
  estimate: BudgetAmounts | null;
  /** This process: at most one request of each process may go beyond what fits. */
  processId: string;
  /** Unique per request; names its reservation. */
  reservationId: string;
  /** When an unsettled reservation (a crashed process's) stops counting. */
  reservationTtlMs: number;
  /** How long the counter outlives its period's end. */
  counterTtlMs: number;
  now: number;
}

/**
 * A budget counter shared by every process (Redis in server mode, memory in embedded mode).
 *
 * Admission is one atomic step: refused when the settled spend has reached a limit; admitted
 * when the spend plus every reservation in flight plus this request's estimate (the larger of
 * the caller's and the subject's last settled cost) stays within the limits; otherwise admitted
 * only as a process's one "last" request: when this process has nothing of the subject in
 * flight, no request of unknown cost is in flight, and the reservations leave room. So the
 * requests that take the spend past a limit are at most one per process, which bounds the
 * overshoot to one request per process when costs resemble the last one.
 */
export interface BudgetMeter {
  readonly backend: 'memory' | 'redis';
  admit(input: BudgetAdmitInput): Promise<BudgetAdmission>;
  /** Replaces the reservation by what the request really cost; returns the new settled spend. */
  settle(bucket: string, reservationId: string, actual: BudgetAmounts, counterTtlMs: number): Promise<BudgetAmounts>;
  /** The period's settled spend (zero for a counter that does not exist). */
  read(bucket: string): Promise<BudgetAmounts>;
  /**
   * Sets the counter's starting value (from the usage log) when it does not exist yet: a restarted
   * embedded server, or a Redis that lost its data. Counts already there are kept.
   */
  seed(bucket: string, amounts: BudgetAmounts, counterTtlMs: number): Promise<void>;
  /** True the first time it is called for a name (per period): soft-limit notices go out once. */
  once(name: string, ttlMs: number): Promise<boolean>;
}

export const zeroAmounts: BudgetAmounts = Object.freeze({ tokens: 0, nanoDollars: 0 });

/** Whether spend reached a limit. */
export function budgetReached(spent: BudgetAmounts, limits: BudgetLimits): boolean {
  return (
    (limits.tokens !== null && spent.tokens >= limits.tokens) ||
    (limits.nanoDollars !== null && spent.nanoDollars >= limits.nanoDollars)
  );
}

interface Reservation {
  processId: string;
  /** Null: the cost is not known yet (the subject's first request). */
  amounts: BudgetAmounts | null;
  expiresAt: number;
}

interface MemoryCounter {
  spent: BudgetAmounts;
  /** The last settled cost: the estimate of requests whose caller knows none. */
  last: BudgetAmounts | null;
  reservations: Map<string, Reservation>;
  expiresAt: number;
}

/** Embedded mode: one process, counters in memory (seeded from the usage log after a restart). */
export function createMemoryBudgetMeter(clock: { now(): number } = { now: () => Date.now() }): BudgetMeter {
  const counters = new Map<string, MemoryCounter>();
  const onceNames = new Map<string, number>();
  function sweep(now: number): void {
    if (counters.size < 10_000) return;
    for (const [bucket, counter] of counters) if (counter.expiresAt <= now) counters.delete(bucket);
  }
  function counterOf(bucket: string, now: number, ttlMs: number): MemoryCounter {
    let counter = counters.get(bucket);
    if (!counter || counter.expiresAt <= now) {
      sweep(now);
      counter = { spent: { ...zeroAmounts }, last: null, reservations: new Map(), expiresAt: now + ttlMs };
      counters.set(bucket, counter);
    }
    return counter;
  }
  return {
    backend: 'memory',
    async admit(input) {
      const counter = counterOf(input.bucket, input.now, input.counterTtlMs);
      const spent = { ...counter.spent };
      if (budgetReached(spent, input.limits)) return { outcome: 'exhausted', spent };
      let reservedTokens = 0;
      let reservedNano = 0;
      let mine = 0;
      let unknown = 0;
      for (const [id, reservation] of counter.reservations) {
        if (reservation.expiresAt <= input.now) {
          counter.reservations.delete(id);
          continue;
        }
        if (reservation.amounts === null) unknown += 1;
        else {
          reservedTokens += reservation.amounts.tokens;
          reservedNano += reservation.amounts.nanoDollars;
        }
        if (reservation.processId === input.processId) mine += 1;
      }
      const known = input.estimate ?? counter.last;
      const estimate =
        known === null
          ? null
          : {
              tokens: Math.max(known.tokens, counter.last?.tokens ?? 0),
              nanoDollars: Math.max(known.nanoDollars, counter.last?.nanoDollars ?? 0),
            };
      const { limits } = input;
      const fits =
        estimate !== null &&
        unknown === 0 &&
        (limits.tokens === null || spent.tokens + reservedTokens + estimate.tokens <= limits.tokens) &&
        (limits.nanoDollars === null || spent.nanoDollars + reservedNano + estimate.nanoDollars <= limits.nanoDollars);
      if (!fits) {
        const full = budgetReached(
          { tokens: spent.tokens + reservedTokens, nanoDollars: spent.nanoDollars + reservedNano },
          limits,
        );
        if (mine > 0 || unknown > 0 || full) return { outcome: 'wait', spent };
      }
      counter.reservations.set(input.reservationId, {
        processId: input.processId,
        amounts: estimate,
        expiresAt: input.now + input.reservationTtlMs,
      });
      return { outcome: 'admitted', spent };
    },
    async settle(bucket, reservationId, actual, counterTtlMs) {
      const now = clock.now();
      const counter = counterOf(bucket, now, counterTtlMs);
      counter.reservations.delete(reservationId);
      counter.last = { ...actual };
      counter.spent = {
        tokens: counter.spent.tokens + actual.tokens,
        nanoDollars: counter.spent.nanoDollars + actual.nanoDollars,
      };
      return { ...counter.spent };
    },
    async read(bucket) {
      const counter = counters.get(bucket);
      if (!counter || counter.expiresAt <= clock.now()) return { ...zeroAmounts };
      return { ...counter.spent };
    },
    async seed(bucket, amounts, counterTtlMs) {
      const now = clock.now();
      const existing = counters.get(bucket);
      if (existing && existing.expiresAt > now) return;
      counters.set(bucket, {
        spent: { ...amounts },
        last: null,
        reservations: new Map(),
        expiresAt: now + counterTtlMs,
      });
    },
    async once(name, ttlMs) {
      const now = clock.now();
      const until = onceNames.get(name);
      if (until !== undefined && until > now) return false;
      if (onceNames.size >= 10_000) onceNames.clear();
      onceNames.set(name, now + ttlMs);
      return true;
    },
  };
}
