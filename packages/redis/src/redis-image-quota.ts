import {
  assertQuotaAmount,
  type DailyQuota,
  type Environment,
  type ImageQuota,
  nextUtcMidnight,
  type QuotaClock,
  quotaDayOf,
  SwitchyardError,
  systemQuotaClock,
  unlimitedQuota,
} from '@switchyard/core';
import type { Redis } from 'ioredis';

// KEYS[1] the day's counter; ARGV[1] the limit, ARGV[2] its time to live in ms, ARGV[3] the amount.
const takeScript = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + tonumber(ARGV[3]) > tonumber(ARGV[1]) then return {0, used} end
used = redis.call('INCRBY', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, used}
`;

// ARGV[1] the amount. Never below zero, and a day without a counter stays without one.
const releaseScript = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used <= 0 then return 0 end
local amount = math.min(used, tonumber(ARGV[1]))
return redis.call('DECRBY', KEYS[1], amount)
`;

const dayMs = 86_400_000;

export interface RedisDailyQuotaOptions {
  /** Default `sy:quota:image` (the image quota's keys); the audio quota uses `sy:quota:audio`. */
  keyPrefix?: string;
  clock?: QuotaClock;
  /**
   * Also counts each amount here (the database quota, so the usage table
   * reports usage in server mode too); Redis alone decides.
   */
  record?: DailyQuota;
}

/**
 * Server mode: an atomic check-and-increment in Redis shared by every API
 * process. A unit whose recording fails is given back before the error
 * surfaces, so a failed request never costs the caller a unit.
 */
export function createRedisDailyQuota(client: Redis, options: RedisDailyQuotaOptions = {}): DailyQuota {
  const keyPrefix = options.keyPrefix ?? 'sy:quota:image';
  const clock = options.clock ?? systemQuotaClock;
  const { record } = options;
  const keyOf = (environment: Environment, subject: string, day: string) =>
    `${keyPrefix}:${environment}:${day}:${subject}`;
  const unavailable = (cause: unknown) =>
    new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The quota store (Redis) is unavailable', { cause });
  async function giveBack(environment: Environment, subject: string, day: string, amount: number): Promise<void> {
    try {
      await client.eval(releaseScript, 1, keyOf(environment, subject, day), amount);
    } catch (error) {
      throw unavailable(error);
    }
  }
  return {
    backend: 'redis',
    async take(environment, subject, limit, amount = 1) {
      assertQuotaAmount(amount);
      const now = clock.now();
      const day = quotaDayOf(now);
      const resetsAt = nextUtcMidnight(now);
      let result: [number, number];
      try {
        // Kept a day past the reset, so a late release never meets a fresh counter.
        result = (await client.eval(
          takeScript,
          1,
          keyOf(environment, subject, day),
          limit,
          resetsAt.getTime() - now + dayMs,
          amount,
        )) as [number, number];
      } catch (error) {
        throw unavailable(error);
      }
      const [allowed, used] = result;
      if (allowed === 1 && record) {
        try {
          // The Redis counter decided; the row only records the count (int4, hence the ceiling).
          await record.take(environment, subject, unlimitedQuota, amount);
        } catch (error) {
          await giveBack(environment, subject, day, amount).catch(() => {});
          throw error;
        }
      }
      return { allowed: allowed === 1, used, limit, day, resetsAt };
    },
    async release(environment, subject, day, amount = 1) {
      assertQuotaAmount(amount);
      await giveBack(environment, subject, day, amount);
      await record?.release(environment, subject, day, amount);
    },
    async usage(environment, subject, limit) {
      const now = clock.now();
      const day = quotaDayOf(now);
      let used = 0;
      try {
        used = Number((await client.get(keyOf(environment, subject, day))) ?? 0);
      } catch (error) {
        throw unavailable(error);
      }
      return { allowed: used < limit, used, limit, day, resetsAt: nextUtcMidnight(now) };
    },
  };
}

/** The image quota in Redis (keys `sy:quota:image:…`). */
export function createRedisImageQuota(client: Redis, options: RedisDailyQuotaOptions = {}): ImageQuota {
  return createRedisDailyQuota(client, options);
}
