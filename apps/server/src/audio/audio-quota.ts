import { type Environment, nextUtcMidnight, quotaDayOf, SwitchyardError } from '@switchyard/core';
import { createAudioUsageRepository } from '@switchyard/db';
import type { Databases } from '../infrastructure/databases';
import type { SettingsStore } from '../settings/settings-store';

export interface AudioQuotaStatus {
  usedSeconds: number;
  limitMinutes: number;
  resetsAt: Date;
}

export interface AudioQuota {
  /** Today's use against `audio.max_minutes_per_day.<env>`. */
  status(environment: Environment, subject: string): Promise<AudioQuotaStatus>;
  /** 429 SY_ERR_QUOTA_EXCEEDED when the caller has used up today's minutes (or would with `seconds` more). */
  check(environment: Environment, subject: string, seconds?: number): Promise<void>;
  /** Counts transcribed audio against the caller's day. */
  record(environment: Environment, subject: string, seconds: number): Promise<void>;
}

/**
 * Minutes of audio per caller, environment and UTC day. The check comes before the upstream call and
 * the count after it (the length is known for sure only then), so parallel requests can together
 * pass the limit by at most their own length: what a minute-based quota can live with.
 */
export function createAudioQuota(
  databases: Databases,
  settings: Pick<SettingsStore, 'current'>,
  clock: { now(): number } = Date,
): AudioQuota {
  const repository = (environment: Environment) => createAudioUsageRepository(databases[environment].db);
  const limitMinutes = (environment: Environment) =>
    settings.current().getInteger(`audio.max_minutes_per_day.${environment}`);
  async function status(environment: Environment, subject: string): Promise<AudioQuotaStatus> {
    const now = clock.now();
    const usedSeconds = await repository(environment).secondsOn(environment, subject, quotaDayOf(now));
    return { usedSeconds, limitMinutes: limitMinutes(environment), resetsAt: nextUtcMidnight(now) };
  }
  return {
    status,
    async check(environment, subject, seconds = 0) {
      const current = await status(environment, subject);
      const limitSeconds = current.limitMinutes * 60;
      if (current.usedSeconds >= limitSeconds || current.usedSeconds + seconds > limitSeconds) {
        const retryAfterSeconds = Math.max(1, Math.ceil((current.resetsAt.getTime() - clock.now()) / 1000));
        throw new SwitchyardError(
          'SY_ERR_QUOTA_EXCEEDED',
          `Daily audio quota of ${current.limitMinutes} minutes reached in ${environment} ` +
            `(${Math.round(current.usedSeconds)} s used${seconds > 0 ? `, this file is about ${Math.round(seconds)} s` : ''}); ` +
            `it resets at ${current.resetsAt.toISOString()}`,
          { retryAfterSeconds },
        );
      }
    },
    async record(environment, subject, seconds) {
      if (seconds <= 0) return;
      await repository(environment).add(environment, subject, quotaDayOf(clock.now()), seconds);
    },
  };
}
