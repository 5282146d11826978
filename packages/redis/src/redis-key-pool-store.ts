import { type KeyPoolStore, keyWindowMs, keyWindowOf, SwitchyardError } from '@switchyard/core';
import type { Redis } from 'ioredis';

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
          keyWindowOf(now),
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
      const window = keyWindowOf(now);
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
