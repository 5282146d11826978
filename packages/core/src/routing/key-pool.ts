import { createHash } from 'node:crypto';

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

/** The fixed one-minute window `now` falls in; every store counts per window. */
export const keyWindowOf = (now: number): number => Math.floor(now / keyWindowMs);

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
      const window = keyWindowOf(now);
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
      const window = keyWindowOf(now);
      return keyIds.map((keyId) => {
        const slot = `${poolId}:${keyId}`;
        const coolingUntil = cooldowns.get(slot) ?? 0;
        return { used: usedIn(slot, window), coolingUntil: coolingUntil > now ? coolingUntil : 0 };
      });
    },
  };
}
