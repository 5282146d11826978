import { SwitchyardError } from '@switchyard/core';
import { Cron } from 'croner';

/** A cron expression read in an IANA time zone, or a fixed interval. */
export type ScheduleTiming =
  | { readonly kind: 'cron'; readonly cron: string; readonly timezone: string }
  | { readonly kind: 'interval'; readonly intervalMs: number };

/** Shorter intervals would make the database lease and BullMQ churn for nothing. */
export const minimumIntervalMs = 1_000;
/** A cron expression has at most six fields (seconds first); croner's seventh (year) is not portable to BullMQ. */
const maximumCronLength = 200;

function cronOf(timing: Extract<ScheduleTiming, { kind: 'cron' }>): Cron {
  return new Cron(timing.cron, { timezone: timing.timezone, paused: true });
}

/** Throws SY_ERR_VALIDATION with a readable reason when the timing cannot be used. */
export function checkTiming(timing: ScheduleTiming): ScheduleTiming {
  if (timing.kind === 'interval') {
    if (!Number.isInteger(timing.intervalMs) || timing.intervalMs < minimumIntervalMs) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `interval_ms must be an integer ≥ ${minimumIntervalMs}`);
    }
    return timing;
  }
  if (timing.cron.length > maximumCronLength || timing.cron.trim().split(/\s+/).length > 6) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'cron must have 5 fields (or 6 with seconds first)');
  }
  try {
    Intl.DateTimeFormat('en', { timeZone: timing.timezone });
  } catch {
    throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown time zone '${timing.timezone}'`);
  }
  let next: Date | null;
  try {
    next = cronOf(timing).nextRun(new Date());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SwitchyardError('SY_ERR_VALIDATION', `Invalid cron expression '${timing.cron}': ${reason}`);
  }
  if (!next) throw new SwitchyardError('SY_ERR_VALIDATION', `Cron expression '${timing.cron}' never fires`);
  return timing;
}

/**
 * The first tick strictly after `afterMs`. Interval ticks sit on multiples of the interval since the
 * Unix epoch, so every process (and a restart) agrees on them without sharing state.
 */
export function nextTickAfter(timing: ScheduleTiming, afterMs: number): Date | null {
  if (timing.kind === 'interval') {
    return new Date((Math.floor(afterMs / timing.intervalMs) + 1) * timing.intervalMs);
  }
  return cronOf(timing).nextRun(new Date(afterMs));
}
