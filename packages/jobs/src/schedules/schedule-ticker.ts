import type { Environment } from '@switchyard/core';
import type { ScheduleTiming } from './schedule-timing';

/** One tick of one schedule that became due. */
export interface ScheduleTick {
  scheduleId: string;
  /** When the tick was due; later than now by the firing delay, much later after downtime. */
  dueAt: Date;
}

/** Called once per tick per backend delivery; must be idempotent (a crash between fire and ack repeats it). */
export type TickHandler = (tick: ScheduleTick) => Promise<void>;

/** What a ticker needs to know of a schedule. */
export interface TickerSchedule {
  id: string;
  environment: Environment;
  timing: ScheduleTiming;
  paused: boolean;
}

/**
 * Decides when schedules are due, the same way in every process that runs one: the database lease on
 * the schedule rows (embedded), BullMQ job schedulers (server mode). Neither fires a job itself; the
 * scheduler's tick handler does, and it records each (schedule, tick) once.
 */
export interface ScheduleTicker {
  readonly backend: 'embedded' | 'bullmq';
  /** Makes the backend follow a created, changed, paused or resumed schedule. */
  sync(schedule: TickerSchedule): Promise<void>;
  /** Forgets a deleted schedule. */
  remove(scheduleId: string): Promise<void>;
  /** When each schedule fires next, where the backend knows it better than the stored `next_run_at`. */
  nextRuns(): Promise<Map<string, Date>>;
  /** Starts delivering due ticks in this process (worker roles only). */
  start(handler: TickHandler): Promise<void>;
  close(): Promise<void>;
}
