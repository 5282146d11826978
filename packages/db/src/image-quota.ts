import {
  type Environment,
  type ImageQuota,
  nextUtcMidnight,
  type QuotaClock,
  quotaDayOf,
  systemQuotaClock,
} from '@switchyard/core';
import type { Db } from './client';
import { createImageRepository } from './images-repository';

/**
 * Embedded mode: the image_usage row itself is the counter. One statement
 * increments only while under the limit (INSERT … ON CONFLICT DO UPDATE …
 * WHERE count < limit), which the database serialises per row.
 */
export function createDatabaseImageQuota(
  databases: Readonly<Record<Environment, Db>>,
  options: { clock?: QuotaClock } = {},
): ImageQuota {
  const clock = options.clock ?? systemQuotaClock;
  const repository = (environment: Environment) => createImageRepository(databases[environment]);
  return {
    backend: 'database',
    async take(environment, subject, limit) {
      const now = clock.now();
      const day = quotaDayOf(now);
      const resetsAt = nextUtcMidnight(now);
      const taken =
        limit > 0 ? await repository(environment).incrementDailyCount(environment, subject, day, limit) : undefined;
      if (taken !== undefined) return { allowed: true, used: taken, limit, day, resetsAt };
      const used = await repository(environment).dailyCount(environment, subject, day);
      return { allowed: false, used, limit, day, resetsAt };
    },
    async release(environment, subject, day) {
      await repository(environment).decrementDailyCount(environment, subject, day);
    },
    async usage(environment, subject, limit) {
      const now = clock.now();
      const day = quotaDayOf(now);
      const used = await repository(environment).dailyCount(environment, subject, day);
      return { allowed: used < limit, used, limit, day, resetsAt: nextUtcMidnight(now) };
    },
  };
}
