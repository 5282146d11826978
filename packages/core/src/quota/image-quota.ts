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
 * Daily image quota per environment and subject (API key, user or client IP),
 * counted atomically: however many requests arrive at once, no subject gets
 * more than its limit. Implementations: the database (embedded mode,
 * `@switchyard/db`) and Redis (server mode, `@switchyard/redis`); both pass
 * the contract suite in `@switchyard/testkit`.
 */
export interface ImageQuota {
  readonly backend: 'database' | 'redis';
  /** Counts one image for today if the subject is under `limit`. */
  take(environment: Environment, subject: string, limit: number): Promise<QuotaDecision>;
  /**
   * Gives back a unit taken on `day` (the decision's day, so a request that
   * straddles midnight gives back the right one) for a request that then
   * failed; never counts below zero.
   */
  release(environment: Environment, subject: string, day: string): Promise<void>;
  /** Today's count, without taking anything. */
  usage(environment: Environment, subject: string, limit: number): Promise<QuotaDecision>;
}

/** The UTC day of an instant, as 'YYYY-MM-DD'. */
export const quotaDayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);

/** The UTC midnight after an instant. */
export function nextUtcMidnight(now: number): Date {
  const date = new Date(now);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1));
}
