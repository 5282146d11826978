import type { Environment } from '../environment';

export interface QuotaDecision {
  allowed: boolean;
  used: number;
  limit: number;
  /** The UTC day ('YYYY-MM-DD') the decision counted on; give it to `release`. */
  day: string;
  /** When the day's count starts again (UTC midnight). */
  resetsAt: Date;
}

/** Where a quota reads the time; tests pass one they move by hand. */
export interface QuotaClock {
  now(): number;
}

export const systemQuotaClock: QuotaClock = Object.freeze({ now: () => Date.now() });

/**
 * A daily quota per environment and subject (API key, user or client IP),
 * counted atomically: however many requests arrive at once, no subject gets
 * more than its limit. Images count one unit each; audio counts seconds (a
 * request takes its estimated length, then settles the difference). Implementations:
 * the database (embedded mode, `@switchyard/db`) and Redis (server mode,
 * `@switchyard/redis`); both pass the contract suite in `@switchyard/testkit`.
 */
export interface DailyQuota {
  readonly backend: 'database' | 'redis';
  /**
   * Counts `amount` (default 1, a positive integer) for today if the count stays
   * within `limit` with it; otherwise counts nothing and says so.
   */
  take(environment: Environment, subject: string, limit: number, amount?: number): Promise<QuotaDecision>;
  /**
   * Gives back `amount` (default 1) taken on `day` (the decision's day, so a
   * request that straddles midnight gives back the right one) for a request
   * that then failed or used less; never counts below zero.
   */
  release(environment: Environment, subject: string, day: string, amount?: number): Promise<void>;
  /** Today's count, without taking anything. */
  usage(environment: Environment, subject: string, limit: number): Promise<QuotaDecision>;
}

/** The daily image quota: one unit per image (settings `ai.image.max_per_day_free.<env>`). */
export type ImageQuota = DailyQuota;

/** The largest count a quota keeps (the image counter is an int4): a `limit` that never refuses. */
export const unlimitedQuota = 2_147_483_647;

/** Amounts are whole positive numbers (Redis counts integers); anything else is a programming error. */
export function assertQuotaAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 1)
    throw new RangeError(`A quota amount must be a positive integer, not ${amount}`);
}

/** The UTC day of an instant, as 'YYYY-MM-DD'. */
export const quotaDayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);

/** The UTC midnight after an instant. */
export function nextUtcMidnight(now: number): Date {
  const date = new Date(now);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1));
}
