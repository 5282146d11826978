import type { Environment } from '@switchyard/core';

/**
 * A per-day counter row per environment and subject (image_usage counts images, audio_usage
 * seconds of audio): what the database quota counts on.
 */
export interface DailyCounter {
  /**
   * Adds `amount` (default 1) to the subject's count on that day (a 'YYYY-MM-DD' UTC date) if the
   * count stays within `limit` with it, in one statement that the database serialises per row
   * (INSERT … ON CONFLICT DO UPDATE … WHERE count + amount <= limit). The new count, or undefined
   * when it would pass the limit (nothing is counted then).
   */
  incrementDailyCount(
    environment: Environment,
    subject: string,
    day: string,
    limit: number,
    amount?: number,
  ): Promise<number | undefined>;
  /** Takes `amount` (default 1) back, never below zero; a day without a row stays without one. */
  decrementDailyCount(environment: Environment, subject: string, day: string, amount?: number): Promise<void>;
  /** 0 for a day without a row. */
  dailyCount(environment: Environment, subject: string, day: string): Promise<number>;
}
