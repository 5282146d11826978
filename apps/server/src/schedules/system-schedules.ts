import type { IdempotencyRepository, SchedulesRepository } from '@switchyard/db';
import type { purgeTargets } from '@switchyard/jobs';
import type { PlatformEventBus } from '../events/event-bus';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { Scheduler } from './scheduler';

type PurgeTarget = (typeof purgeTargets)[number];

const hourMs = 60 * 60_000;

/** Schedule run records are kept this long (the admin console shows the recent ones). */
export const scheduleRunRetentionMs = 30 * 24 * hourMs;

/**
 * Housekeeping that each process once ran on its own hourly timer now runs once per tick across all
 * processes. The intervals are the timers' (hourly), so behaviour stays as it was.
 */
export const systemSchedules: ReadonlyArray<{ id: string; name: string; target: PurgeTarget; intervalMs: number }> = [
  {
    id: 'system.idempotency-keys-purge',
    name: 'Purge expired idempotency keys',
    target: 'idempotency-keys',
    intervalMs: hourMs,
  },
  {
    id: 'system.consumed-events-purge',
    name: 'Forget consumed event ids past their retention',
    target: 'consumed-events',
    intervalMs: hourMs,
  },
  {
    id: 'system.audio-recordings-purge',
    name: 'Delete audio recordings past audio.recording_retention_days (both environments)',
    target: 'audio-recordings',
    intervalMs: hourMs,
  },
  {
    id: 'system.stored-responses-purge',
    name: 'Delete stored Responses API answers past their retention (both environments)',
    target: 'stored-responses',
    intervalMs: hourMs,
  },
  {
    id: 'system.schedule-runs-purge',
    name: 'Delete schedule run records older than 30 days',
    target: 'schedule-runs',
    intervalMs: 24 * hourMs,
  },
];

export const backupScheduleId = 'system.backup';

/**
 * Creates the system schedules that do not exist yet and sets the configured timing (BACKUP_SCHEDULE, the
 * built-in intervals) on those that do, recomputing their next run: configuration owns their timing, so an
 * admin's change of it lasts until the next start. An admin's pause stays. Resolves to the ids retimed.
 */
export async function ensureSystemSchedules(
  scheduler: Pick<Scheduler, 'reconcile' | 'delete'>,
  options: { readonly backupSchedule?: string | null } = {},
): Promise<string[]> {
  const retimed: string[] = [];
  const reconcile = async (input: Parameters<Scheduler['reconcile']>[0]) => {
    if ((await scheduler.reconcile(input)) === 'retimed') retimed.push(input.id);
  };
  for (const schedule of systemSchedules) {
    await reconcile({
      id: schedule.id,
      environment: 'prod',
      name: schedule.name,
      origin: 'system',
      jobName: 'maintenance.purge',
      payload: { environment: 'prod', target: schedule.target },
      timing: { kind: 'interval', intervalMs: schedule.intervalMs },
      missedPolicy: 'run_once',
    });
  }
  // The scheduled backup follows BACKUP_SCHEDULE; `off` removes it (an admin's pause stays otherwise).
  if (options.backupSchedule) {
    await reconcile({
      id: backupScheduleId,
      environment: 'prod',
      name: 'Back up the databases and stored objects, then prune old backups',
      origin: 'system',
      jobName: 'maintenance.backup',
      payload: { environment: 'prod' },
      timing: { kind: 'cron', cron: options.backupSchedule, timezone: 'UTC' },
      missedPolicy: 'run_once',
    });
  } else if (options.backupSchedule === null) {
    await scheduler.delete(backupScheduleId).catch(() => {});
  }
  // Notifications a user chose to get as a daily digest go out once a day per environment.
  for (const environment of ['prod', 'dev'] as const) {
    await reconcile({
      id: `system.notifications-digest-${environment}`,
      environment,
      name: `Send the daily notification digests (${environment})`,
      origin: 'system',
      jobName: 'notifications.digest',
      payload: { environment },
      timing: { kind: 'cron', cron: '0 8 * * *', timezone: 'UTC' },
      missedPolicy: 'run_once',
    });
  }
  return retimed;
}

export interface MaintenanceJobDependencies {
  readonly idempotency: Pick<IdempotencyRepository, 'purgeExpired'>;
  readonly events: Pick<PlatformEventBus, 'purgeConsumed'>;
  readonly schedules: Pick<SchedulesRepository, 'purgeRuns'>;
  /** Audio recordings past their retention, in both environments; resolves to how many went. */
  readonly purgeRecordings: () => Promise<number>;
  /** Stored Responses API answers past their retention, in both environments. */
  readonly purgeStoredResponses: () => Promise<number>;
  readonly now?: () => number;
}

/** `maintenance.purge`: the result says how many rows went. */
export async function registerMaintenanceJob(
  jobs: PlatformJobQueue,
  dependencies: MaintenanceJobDependencies,
): Promise<void> {
  const now = dependencies.now ?? Date.now;
  await jobs.process('maintenance.purge', async ({ payload }) => {
    switch (payload.target) {
      case 'idempotency-keys':
        return { deleted: await dependencies.idempotency.purgeExpired() };
      case 'consumed-events':
        return { deleted: await dependencies.events.purgeConsumed() };
      case 'schedule-runs':
        return { deleted: await dependencies.schedules.purgeRuns(new Date(now() - scheduleRunRetentionMs)) };
      case 'audio-recordings':
        return { deleted: await dependencies.purgeRecordings() };
      case 'stored-responses':
        return { deleted: await dependencies.purgeStoredResponses() };
    }
  });
}
