import {
  type DailyQuota,
  type Environment,
  nextUtcMidnight,
  type QuotaClock,
  SwitchyardError,
  systemQuotaClock,
  unlimitedQuota,
} from '@switchyard/core';
import type { SettingsStore } from '../settings/settings-store';

export interface AudioQuotaStatus {
  usedSeconds: number;
  limitMinutes: number;
  resetsAt: Date;
}

/** Seconds held for a request until its real length is known; settled (or given back) afterwards. */
export interface AudioReservation {
  readonly environment: Environment;
  readonly subject: string;
  /** The UTC day the seconds were taken on ('YYYY-MM-DD'). */
  readonly day: string;
  readonly seconds: number;
}

export interface AudioQuota {
  /** Today's use against `audio.max_minutes_per_day.<env>`. */
  status(environment: Environment, subject: string, limitMinutes?: number | null): Promise<AudioQuotaStatus>;
  /**
   * Takes the estimated seconds of a file from the caller's day in one atomic step, or throws 429
   * SY_ERR_QUOTA_EXCEEDED when they do not fit in what is left: parallel requests can never take
   * more than the limit between them.
   */
  reserve(
    environment: Environment,
    subject: string,
    estimatedSeconds: number,
    /** The caller's plan's daily minutes; undefined or null: the setting. */
    limitMinutes?: number | null,
  ): Promise<AudioReservation>;
  /** Replaces the estimate by the length the upstream reported (counting more, or giving back the rest). */
  settle(reservation: AudioReservation, actualSeconds: number): Promise<void>;
  /** Gives the reservation back (the transcription failed; nothing is owed). */
  release(reservation: AudioReservation): Promise<void>;
}

/** Whole seconds, at least one: the quota counts integers (a Redis counter in server mode). */
const wholeSeconds = (seconds: number) => Math.max(1, Math.ceil(Number.isFinite(seconds) ? seconds : 1));

/**
 * Minutes of audio per caller, environment and UTC day, on the daily quota the images use (the database
 * row in embedded mode, Redis in server mode): the estimated length is taken before the upstream is
 * called and settled to the real length after it.
 */
export function createAudioQuota(
  counter: DailyQuota,
  settings: Pick<SettingsStore, 'current'>,
  clock: QuotaClock = systemQuotaClock,
): AudioQuota {
  const limitSeconds = (environment: Environment, limitMinutes?: number | null) =>
    (limitMinutes ?? settings.current().getInteger(`audio.max_minutes_per_day.${environment}`)) * 60;
  return {
    async status(environment, subject, limitMinutes) {
      const usage = await counter.usage(environment, subject, limitSeconds(environment, limitMinutes));
      return { usedSeconds: usage.used, limitMinutes: usage.limit / 60, resetsAt: usage.resetsAt };
    },
    async reserve(environment, subject, estimatedSeconds, limitMinutes) {
      const seconds = wholeSeconds(estimatedSeconds);
      const limit = limitSeconds(environment, limitMinutes);
      const decision = await counter.take(environment, subject, limit, seconds);
      if (!decision.allowed) {
        const retryAfterSeconds = Math.max(1, Math.ceil((decision.resetsAt.getTime() - clock.now()) / 1000));
        throw new SwitchyardError(
          'SY_ERR_QUOTA_EXCEEDED',
          `Daily audio quota of ${limit / 60} minutes reached in ${environment} ` +
            `(${Math.round(decision.used)} s used, this file is about ${seconds} s); ` +
            `it resets at ${nextUtcMidnight(clock.now()).toISOString()}`,
          { retryAfterSeconds },
        );
      }
      return { environment, subject, day: decision.day, seconds };
    },
    async settle(reservation, actualSeconds) {
      const { environment, subject, day } = reservation;
      const difference = wholeSeconds(actualSeconds) - reservation.seconds;
      // What was really sent is owed even past the limit: the limit decided when the estimate was taken.
      if (difference > 0) await counter.take(environment, subject, unlimitedQuota, difference);
      if (difference < 0) await counter.release(environment, subject, day, -difference);
    },
    async release(reservation) {
      await counter.release(reservation.environment, reservation.subject, reservation.day, reservation.seconds);
    },
  };
}
