import { type BudgetAmounts, type BudgetMeter, SwitchyardError, zeroAmounts } from '@switchyard/core';
import type { Redis } from 'ioredis';

// KEYS[1] the counter (hash: t tokens, n nano-dollars), KEYS[2] its reservations (hash: id -> "t,n,expires,process").
// ARGV: 1 token limit (-1 none), 2 nano limit (-1 none), 3 estimated tokens (-1 unknown), 4 estimated nano,
// 5 process id, 6 reservation id, 7 now (ms), 8 reservation ttl (ms), 9 counter ttl (ms).
// Returns {outcome (1 admitted, 0 exhausted, 2 wait), spent tokens, spent nano}.
const admitScript = `
local spentT = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
local spentN = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local limitT = tonumber(ARGV[1])
local limitN = tonumber(ARGV[2])
if (limitT >= 0 and spentT >= limitT) or (limitN >= 0 and spentN >= limitN) then return {0, spentT, spentN} end
local now = tonumber(ARGV[7])
local all = redis.call('HGETALL', KEYS[2])
local reservedT, reservedN, mine, unknown = 0, 0, 0, 0
for i = 1, #all, 2 do
  local t, n, expires, process = string.match(all[i + 1], '^(%-?%d+),(%d+),(%d+),(.*)$')
  if t == nil or tonumber(expires) <= now then
    redis.call('HDEL', KEYS[2], all[i])
  else
    if tonumber(t) < 0 then
      unknown = unknown + 1
    else
      reservedT = reservedT + tonumber(t)
      reservedN = reservedN + tonumber(n)
    end
    if process == ARGV[5] then mine = mine + 1 end
  end
end
local estT = tonumber(ARGV[3])
local estN = tonumber(ARGV[4])
local lastT = tonumber(redis.call('HGET', KEYS[1], 'lt') or '-1')
local lastN = tonumber(redis.call('HGET', KEYS[1], 'ln') or '0')
if lastT >= 0 then
  if estT < lastT then estT = lastT end
  if estN < lastN then estN = lastN end
end
local fits = estT >= 0 and unknown == 0
  and (limitT < 0 or spentT + reservedT + estT <= limitT)
  and (limitN < 0 or spentN + reservedN + estN <= limitN)
if not fits then
  local full = (limitT >= 0 and spentT + reservedT >= limitT) or (limitN >= 0 and spentN + reservedN >= limitN)
  if mine > 0 or unknown > 0 or full then return {2, spentT, spentN} end
end
if estT < 0 then estN = 0 end
redis.call('HSET', KEYS[2], ARGV[6], estT .. ',' .. estN .. ',' .. (now + tonumber(ARGV[8])) .. ',' .. ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[9])
return {1, spentT, spentN}
`;

// KEYS[1] counter, KEYS[2] reservations; ARGV: 1 reservation id, 2 tokens, 3 nano, 4 counter ttl (ms).
const settleScript = `
redis.call('HDEL', KEYS[2], ARGV[1])
local t = redis.call('HINCRBY', KEYS[1], 't', ARGV[2])
local n = redis.call('HINCRBY', KEYS[1], 'n', ARGV[3])
redis.call('HSET', KEYS[1], 'lt', ARGV[2], 'ln', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {t, n}
`;

// KEYS[1] counter; ARGV: 1 tokens, 2 nano, 3 ttl. Only a counter that does not exist yet is set.
const seedScript = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 't', ARGV[1], 'n', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

const outcomes = { 0: 'exhausted', 1: 'admitted', 2: 'wait' } as const;

/** Server mode: budget counters in Redis, admitted and settled by Lua scripts (atomic across processes). */
export function createRedisBudgetMeter(client: Redis, keyPrefix = 'sy:budget'): BudgetMeter {
  const counterKey = (bucket: string) => `${keyPrefix}:${bucket}`;
  const reservationsKey = (bucket: string) => `${keyPrefix}:${bucket}:inflight`;
  const unavailable = (cause: unknown) =>
    new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The budget store (Redis) is unavailable', { cause });
  const whole = (value: number) => Math.max(0, Math.round(value));
  return {
    backend: 'redis',
    async admit(input) {
      let result: [number, number, number];
      try {
        result = (await client.eval(
          admitScript,
          2,
          counterKey(input.bucket),
          reservationsKey(input.bucket),
          input.limits.tokens ?? -1,
          input.limits.nanoDollars ?? -1,
          input.estimate ? whole(input.estimate.tokens) : -1,
          input.estimate ? whole(input.estimate.nanoDollars) : 0,
          input.processId,
          input.reservationId,
          input.now,
          input.reservationTtlMs,
          input.counterTtlMs,
        )) as [number, number, number];
      } catch (error) {
        throw unavailable(error);
      }
      const [outcome, tokens, nanoDollars] = result;
      return {
        outcome: outcomes[outcome as 0 | 1 | 2],
        spent: { tokens: Number(tokens), nanoDollars: Number(nanoDollars) },
      };
    },
    async settle(bucket, reservationId, actual, counterTtlMs) {
      try {
        const [tokens, nanoDollars] = (await client.eval(
          settleScript,
          2,
          counterKey(bucket),
          reservationsKey(bucket),
          reservationId,
          whole(actual.tokens),
          whole(actual.nanoDollars),
          counterTtlMs,
        )) as [number, number];
        return { tokens: Number(tokens), nanoDollars: Number(nanoDollars) };
      } catch (error) {
        throw unavailable(error);
      }
    },
    async read(bucket): Promise<BudgetAmounts> {
      try {
        const [tokens, nanoDollars] = await client.hmget(counterKey(bucket), 't', 'n');
        if (tokens === null && nanoDollars === null) return { ...zeroAmounts };
        return { tokens: Number(tokens ?? 0), nanoDollars: Number(nanoDollars ?? 0) };
      } catch (error) {
        throw unavailable(error);
      }
    },
    async seed(bucket, amounts, counterTtlMs) {
      try {
        await client.eval(
          seedScript,
          1,
          counterKey(bucket),
          whole(amounts.tokens),
          whole(amounts.nanoDollars),
          counterTtlMs,
        );
      } catch (error) {
        throw unavailable(error);
      }
    },
    async once(name, ttlMs) {
      try {
        return (await client.set(`${keyPrefix}:once:${name}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}
