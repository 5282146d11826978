import type { RateLimiter } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { SettingsStore } from '../settings/settings-store';

export const authFailureSetting = 'rate_limit.auth_failures.per_ip';

export interface AuthFailureLimitDependencies {
  readonly limiter: Pick<RateLimiter, 'hit' | 'peek'>;
  readonly settings: Pick<SettingsStore, 'current'>;
}

/**
 * Failed authentications (API keys that do not open anything, bad
 * password-reset tokens) counted per client IP in one-minute windows, in
 * the shared limiter (Redis in server mode). Keys have 256 bits and reset
 * tokens are long, so this is not about guessing odds: it stops one client
 * from flooding the server with made-up credentials (each unknown key costs
 * a key-cache reload, each bad token a database read). Only failing attempts
 * are refused once over the limit; a valid key from the same address keeps
 * working, so a shared address (NAT, a proxy without TRUST_PROXY) cannot be
 * used to lock everybody else out.
 */
export interface AuthFailureLimit {
  /** Throws 429 SY_ERR_RATE_LIMITED while this client is over its limit, counting nothing. */
  assertOpen(ip: string): Promise<void>;
  /** Whether this client is under its limit, counting nothing. */
  isOpen(ip: string): Promise<boolean>;
  /** Counts one failure; throws 429 SY_ERR_RATE_LIMITED when it is one too many. */
  fail(ip: string): Promise<void>;
}

function tooMany(resetMs: number): SwitchyardError {
  const seconds = Math.max(1, Math.ceil(resetMs / 1000));
  return new SwitchyardError(
    'SY_ERR_RATE_LIMITED',
    `Too many failed authentications from this address; retry in ${seconds}s`,
    { retryAfterSeconds: seconds },
  );
}

export function createAuthFailureLimit({ limiter, settings }: AuthFailureLimitDependencies): AuthFailureLimit {
  const bucket = (ip: string) => `auth-failures:ip:${ip}`;
  const limit = () => settings.current().getInteger(authFailureSetting);
  return {
    async assertOpen(ip) {
      const decision = await limiter.peek(bucket(ip), limit());
      if (!decision.allowed) throw tooMany(decision.resetMs);
    },
    async isOpen(ip) {
      return (await limiter.peek(bucket(ip), limit())).allowed;
    },
    async fail(ip) {
      const decision = await limiter.hit(bucket(ip), limit());
      if (!decision.allowed) throw tooMany(decision.resetMs);
    },
  };
}
