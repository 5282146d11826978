import { createSchedulesRepository, type ScheduleRow, type SwitchyardDatabase } from '@switchyard/db';
import { defaultWorkerId } from '../enqueue-checks';
import { type Clock, systemClock } from '../job-queue';
import type { ScheduleTicker, TickHandler } from './schedule-ticker';
import { nextTickAfter, type ScheduleTiming } from './schedule-timing';

export interface EmbeddedScheduleTickerOptions {
  /** The control-plane database, where the `schedules` rows are. */
  database: SwitchyardDatabase;
  clock?: Clock;
  /** Names this process in the rows' leases. */
  owner?: string;
  /** How often due rows are looked for. Default 1 s. 0: never by itself (tests call `poll`). */
  pollIntervalMs?: number;
  /** A lease not given back after this long (the process died) lets another process fire the tick. Default 60 s. */
  leaseMs?: number;
  onError?: (error: unknown, context: string) => void;
}

export interface EmbeddedScheduleTicker extends ScheduleTicker {
  /** Claims and fires what is due now; resolves when those ticks are handled. */
  poll(): Promise<number>;
}

/** The row's timing as the ticker reads it (the check constraint guarantees exactly one is set). */
export function timingOfRow(row: Pick<ScheduleRow, 'cron' | 'timezone' | 'intervalMs'>): ScheduleTiming {
  return row.cron !== null
    ? { kind: 'cron', cron: row.cron, timezone: row.timezone ?? 'UTC' }
    : { kind: 'interval', intervalMs: row.intervalMs ?? 60_000 };
}

/**
 * Embedded mode: each process polls the `schedules` table and takes the lease of the rows that are due
 * (SELECT … FOR UPDATE SKIP LOCKED), so one process handles a tick while the others skip that row. The
 * lease ends when the row moves to its next tick; a process that dies holding it leaves the tick to
 * another after `leaseMs`, which the scheduler's (schedule, tick) record keeps from firing twice.
 */
export function createEmbeddedScheduleTicker(options: EmbeddedScheduleTickerOptions): EmbeddedScheduleTicker {
  const repository = createSchedulesRepository(options.database.db);
  const clock = options.clock ?? systemClock;
  const owner = options.owner ?? defaultWorkerId();
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const leaseMs = options.leaseMs ?? 60_000;
  const reportError =
    options.onError ?? ((error: unknown, context: string) => console.warn(`[switchyard/schedules] ${context}:`, error));
  let handler: TickHandler | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<number> | undefined;
  let closed = false;

  async function fireClaimed(row: ScheduleRow): Promise<void> {
    const dueAt = row.nextRunAt ?? new Date(clock.now());
    try {
      await handler?.({ scheduleId: row.id, dueAt });
    } catch (error) {
      // Tried again at the next poll; the tick record keeps a tick that did fire from firing twice.
      await repository.release(row.id, owner);
      throw error;
    }
    // Every tick missed while nothing ran is folded into the one just handled.
    const next = nextTickAfter(timingOfRow(row), Math.max(clock.now(), dueAt.getTime()));
    await repository.advance(row.id, owner, next, new Date(clock.now()));
  }

  async function pollOnce(): Promise<number> {
    if (!handler || closed) return 0;
    const now = clock.now();
    const claimed = await repository.claimDue({
      owner,
      now: new Date(now),
      leaseUntil: new Date(now + leaseMs),
      limit: 50,
    });
    const outcomes = await Promise.allSettled(claimed.map(fireClaimed));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') reportError(outcome.reason, 'firing a schedule failed');
    }
    return claimed.length;
  }

  function poll(): Promise<number> {
    // One poll at a time per process; a caller during one waits for it and then polls again.
    const run = (polling ?? Promise.resolve(0)).catch(() => 0).then(pollOnce);
    polling = run;
    return run;
  }

  function schedulePoll(): void {
    if (closed || pollIntervalMs <= 0) return;
    timer = setTimeout(() => {
      poll()
        .catch((error: unknown) => reportError(error, 'polling schedules failed'))
        .finally(schedulePoll);
    }, pollIntervalMs);
    timer.unref();
  }

  return {
    backend: 'embedded',
    poll,
    // The rows are the schedule: the scheduler writes next_run_at and paused itself.
    async sync() {},
    async remove() {},
    async nextRuns() {
      return new Map();
    },
    async start(tickHandler) {
      handler = tickHandler;
      schedulePoll();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await polling?.catch(() => {});
    },
  };
}
