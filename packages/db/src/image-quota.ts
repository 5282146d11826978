import {
  assertQuotaAmount,
  type DailyQuota,
  type Environment,
  type ImageQuota,
  nextUtcMidnight,
  type QuotaClock,
  quotaDayOf,
  systemQuotaClock,
} from '@switchyard/core';
import { createAudioUsageRepository } from './audio-usage-repository';
import type { Db } from './client';
import type { DailyCounter } from './daily-counter';
import { createImageRepository } from './images-repository';

/**
 * Embedded mode: the day's usage row itself is the counter. One statement
 * adds only while the sum stays within the limit (INSERT … ON CONFLICT DO
 * UPDATE … WHERE count + amount <= limit), which the database serialises per row.
 */
export function createDatabaseDailyQuota(
  databases: Readonly<Record<Environment, Db>>,
  counterOf: (db: Db) => DailyCounter,
  options: { clock?: QuotaClock } = {},
): DailyQuota {
  const clock = options.clock ?? systemQuotaClock;
  const counter = (environment: Environment) => counterOf(databases[environment]);
  return {
    backend: 'database',
    async take(environment, subject, limit, amount = 1) {
      assertQuotaAmount(amount);
      const now = clock.now();
      const day = quotaDayOf(now);
      const resetsAt = nextUtcMidnight(now);
      const taken =
        limit > 0
          ? await counter(environment).incrementDailyCount(environment, subject, day, limit, amount)
          : undefined;
      if (taken !== undefined) return { allowed: true, used: taken, limit, day, resetsAt };
      const used = await counter(environment).dailyCount(environment, subject, day);
      return { allowed: false, used, limit, day, resetsAt };
    },
    async release(environment, subject, day, amount = 1) {
      assertQuotaAmount(amount);
      await counter(environment).decrementDailyCount(environment, subject, day, amount);
    },
    async usage(environment, subject, limit) {
      const now = clock.now();
      const day = quotaDayOf(now);
      const used = await counter(environment).dailyCount(environment, subject, day);
      return { allowed: used < limit, used, limit, day, resetsAt: nextUtcMidnight(now) };
    },
  };
}

/** Images per subject and day, counted in image_usage. */
export function createDatabaseImageQuota(
  databases: Readonly<Record<Environment, Db>>,
  options: { clock?: QuotaClock } = {},
): ImageQuota {
  return createDatabaseDailyQuota(databases, createImageRepository, options);
}

/** Seconds of audio per subject and day, counted in audio_usage (`audio.max_minutes_per_day.<env>`). */
export function createDatabaseAudioQuota(
  databases: Readonly<Record<Environment, Db>>,
  options: { clock?: QuotaClock } = {},
): DailyQuota {
  return createDatabaseDailyQuota(databases, createAudioUsageRepository, options);
}
