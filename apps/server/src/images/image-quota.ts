import { type Environment, SwitchyardError } from '@switchyard/core';
import { createImageRepository, type Db } from '@switchyard/db';
import type { Redis } from 'ioredis';

export interface QuotaDecision {
  allowed: boolean;
  used: number;
  limit: number;
  /** When the day's count starts again (UTC midnight). */
  resetsAt: Date;
}

/**
 * Daily image quota per environment and subject (API key, user or client IP),
 * counted atomically: however many requests arrive at once at the edge, no
 * subject gets more than its limit.
 */
export interface ImageQuota {
  readonly backend: 'database' | 'redis';
  take(environment: Environment, subject: string, limit: number, now?: Date): Promise<QuotaDecision>;
  /** Gives back a unit taken for a request that then failed to enqueue. */
  release(environment: Environment, subject: string, now?: Date): Promise<void>;
  usage(environment: Environment, subject: string, limit: number, now?: Date): Promise<QuotaDecision>;
}

const dayOf = (now: Date) => now.toISOString().slice(0, 10);
const nextMidnight = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));

/**
 * Embedded mode: the image_usage row itself is the counter. One statement
 * increments only while under the limit (INSERT … ON CONFLICT DO UPDATE …
 * WHERE count < limit), which the database serialises per row.
 */
export function createDatabaseImageQuota(databases: Readonly<Record<Environment, Db>>): ImageQuota {
  return {
    backend: 'database',
    async take(environment, subject, limit, now = new Date()) {
      const resetsAt = nextMidnight(now);
      if (limit <= 0)
        return { allowed: false, used: (await this.usage(environment, subject, limit, now)).used, limit, resetsAt };
      const taken = await createImageRepository(databases[environment]).incrementDailyCount(
        environment,
        subject,
        dayOf(now),
        limit,
      );
      if (taken !== undefined) return { allowed: true, used: taken, limit, resetsAt };
      return { allowed: false, used: limit, limit, resetsAt };
    },
    async release(environment, subject, now = new Date()) {
      await createImageRepository(databases[environment]).decrementDailyCount(environment, subject, dayOf(now));
    },
    async usage(environment, subject, limit, now = new Date()) {
      const used = await createImageRepository(databases[environment]).dailyCount(environment, subject, dayOf(now));
      return { allowed: used < limit, used, limit, resetsAt: nextMidnight(now) };
    },
  };
}

const takeScript = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return {0, used} end
used = redis.call('INCR', KEYS[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return {1, used}
`;

/**
 * Server mode: an atomic check-and-increment in Redis shared by every API
 * process; the image_usage table is updated alongside for reporting.
 */
export function createRedisImageQuota(
  client: Redis,
  databases: Readonly<Record<Environment, Db>>,
  keyPrefix = 'sy:quota:image',
): ImageQuota {
  const keyOf = (environment: Environment, subject: string, now: Date) =>
    `${keyPrefix}:${environment}:${dayOf(now)}:${subject}`;
  const record = createDatabaseImageQuota(databases);
  const unavailable = (cause: unknown) =>
    new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The quota store (Redis) is unavailable', { cause });
  return {
    backend: 'redis',
    async take(environment, subject, limit, now = new Date()) {
      const resetsAt = nextMidnight(now);
      let result: [number, number];
      try {
        // Expire a day after the reset, so a late release never meets a fresh counter.
        result = (await client.eval(
          takeScript,
          1,
          keyOf(environment, subject, now),
          limit,
          resetsAt.getTime() + 86_400_000,
        )) as [number, number];
      } catch (error) {
        throw unavailable(error);
      }
      const [allowed, used] = result;
      // The Redis counter decided; the row only records the count (int4, hence the ceiling).
      if (allowed === 1) await record.take(environment, subject, 2_147_483_647, now);
      return { allowed: allowed === 1, used, limit, resetsAt };
    },
    async release(environment, subject, now = new Date()) {
      try {
        await client.decr(keyOf(environment, subject, now));
      } catch (error) {
        throw unavailable(error);
      }
      await record.release(environment, subject, now);
    },
    async usage(environment, subject, limit, now = new Date()) {
      let used = 0;
      try {
        used = Number((await client.get(keyOf(environment, subject, now))) ?? 0);
      } catch (error) {
        throw unavailable(error);
      }
      return { allowed: used < limit, used, limit, resetsAt: nextMidnight(now) };
    },
  };
}
