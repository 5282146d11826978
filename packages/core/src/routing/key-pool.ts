import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SwitchyardError } from '../errors';

/**
 * Multi-key rotation (seed 002): a provider may hold several upstream API
 * keys, each with its own requests-per-minute budget. Each request takes the
 * least-used key that is neither over budget nor cooling down after a 429.
 * Keys are identified by a hash, so the raw keys never leave the process.
 */
export interface KeyLease {
  /** Index into the provider's configured key list. */
  index: number;
}

export type KeyPick = { ok: true; lease: KeyLease } | { ok: false; waitMs: number };

export interface KeyPoolStore {
  readonly backend: 'memory' | 'redis';
  /** Picks and counts a key, or says how long until one frees up. */
  pick(poolId: string, keyIds: readonly string[], rpm: number, now?: number): Promise<KeyPick>;
  /** Skips a key until `until` (epoch ms), e.g. after a 429. */
  coolDown(poolId: string, keyId: string, until: number, now?: number): Promise<void>;
  /** Per key: requests in the current window and cooldown end (0 if none). For status and tests. */
  inspect(
    poolId: string,
    keyIds: readonly string[],
    now?: number,
  ): Promise<Array<{ used: number; coolingUntil: number }>>;
}

export const keyWindowMs = 60_000;

/** Stable, non-reversible identity of an upstream key. */
export function upstreamKeyId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

const windowOf = (now: number) => Math.floor(now / keyWindowMs);

export function createMemoryKeyPoolStore(): KeyPoolStore {
  const counts = new Map<string, { window: number; used: number }>();
  const cooldowns = new Map<string, number>();
  const usedIn = (slot: string, window: number) => {
    const entry = counts.get(slot);
    return entry && entry.window === window ? entry.used : 0;
  };
  return {
    backend: 'memory',
    async pick(poolId, keyIds, rpm, now = Date.now()) {
      const window = windowOf(now);
      let best = -1;
      let bestUsed = Number.POSITIVE_INFINITY;
      let waitMs = Number.POSITIVE_INFINITY;
      keyIds.forEach((keyId, index) => {
        const slot = `${poolId}:${keyId}`;
        const coolingUntil = cooldowns.get(slot) ?? 0;
        if (coolingUntil > now) {
          waitMs = Math.min(waitMs, coolingUntil - now);
          return;
        }
        const used = usedIn(slot, window);
        if (used >= rpm) {
          waitMs = Math.min(waitMs, (window + 1) * keyWindowMs - now);
          return;
        }
        if (used < bestUsed) {
          best = index;
          bestUsed = used;
        }
      });
      if (best < 0) return { ok: false, waitMs: Number.isFinite(waitMs) ? waitMs : keyWindowMs };
      const slot = `${poolId}:${keyIds[best]}`;
      counts.set(slot, { window, used: usedIn(slot, window) + 1 });
      return { ok: true, lease: { index: best } };
    },
    async coolDown(poolId, keyId, until) {
      const slot = `${poolId}:${keyId}`;
      cooldowns.set(slot, Math.max(cooldowns.get(slot) ?? 0, until));
    },
    async inspect(poolId, keyIds, now = Date.now()) {
      const window = windowOf(now);
      return keyIds.map((keyId) => {
        const slot = `${poolId}:${keyId}`;
        const coolingUntil = cooldowns.get(slot) ?? 0;
        return { used: usedIn(slot, window), coolingUntil: coolingUntil > now ? coolingUntil : 0 };
      });
    },
  };
}

/**
 * The same choice made atomically in Redis, so every process shares the
 * counters and cooldowns. One Lua script reads all keys' state and counts the
 * chosen one; no two processes can both take a key's last request.
 */
const pickScript = `
local prefix, now, window, windowMs, rpm = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local best, bestUsed, wait = -1, math.huge, math.huge
for i = 6, #ARGV do
  local id = ARGV[i]
  local cooling = tonumber(redis.call('GET', prefix .. ':cd:' .. id) or '0')
  if cooling > now then
    wait = math.min(wait, cooling - now)
  else
    local used = tonumber(redis.call('GET', prefix .. ':n:' .. id .. ':' .. window) or '0')
    if used >= rpm then
      wait = math.min(wait, (tonumber(window) + 1) * windowMs - now)
    elseif used < bestUsed then
      best, bestUsed = i - 6, used
    end
  end
end
if best < 0 then
  if wait == math.huge then wait = windowMs end
  return {-1, wait}
end
local counter = prefix .. ':n:' .. ARGV[best + 6] .. ':' .. window
redis.call('INCR', counter)
redis.call('PEXPIRE', counter, windowMs * 2)
return {best, 0}
`;

export function createRedisKeyPoolStore(client: Redis, keyPrefix = 'sy:kp'): KeyPoolStore {
  const unavailable = (cause: unknown) =>
    new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The key rotation store (Redis) is unavailable', { cause });
  return {
    backend: 'redis',
    async pick(poolId, keyIds, rpm, now = Date.now()) {
      try {
        const [index, waitMs] = (await client.eval(
          pickScript,
          0,
          `${keyPrefix}:${poolId}`,
          now,
          windowOf(now),
          keyWindowMs,
          rpm,
          ...keyIds,
        )) as [number, number];
        return index >= 0 ? { ok: true, lease: { index } } : { ok: false, waitMs };
      } catch (error) {
        throw unavailable(error);
      }
    },
    async coolDown(poolId, keyId, until, now = Date.now()) {
      const ttl = Math.max(1, until - now);
      try {
        const key = `${keyPrefix}:${poolId}:cd:${keyId}`;
        const current = Number((await client.get(key)) ?? 0);
        if (until > current) await client.set(key, String(until), 'PX', ttl);
      } catch (error) {
        throw unavailable(error);
      }
    },
    async inspect(poolId, keyIds, now = Date.now()) {
      const window = windowOf(now);
      return Promise.all(
        keyIds.map(async (keyId) => {
          const [used, cooling] = await Promise.all([
            client.get(`${keyPrefix}:${poolId}:n:${keyId}:${window}`),
            client.get(`${keyPrefix}:${poolId}:cd:${keyId}`),
          ]);
          const coolingUntil = Number(cooling ?? 0);
          return { used: Number(used ?? 0), coolingUntil: coolingUntil > now ? coolingUntil : 0 };
        }),
      );
    },
  };
}
