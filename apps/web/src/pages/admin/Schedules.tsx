import type { Schedule, ScheduleList, ScheduleRun } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorBox, secondaryButtonClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, t, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';

const refreshMs = 5000;
const queryKey = ['admin-schedules'];

type Action = 'pause' | 'resume' | 'run' | 'delete';

function timingOf(schedule: Schedule): string {
  if (schedule.cron) return `${schedule.cron} (${schedule.timezone ?? 'UTC'})`;
  const ms = schedule.interval_ms ?? 0;
  if (ms % 3_600_000 === 0) return t('admin.schedules.everyHours', { count: ms / 3_600_000 });
  if (ms % 60_000 === 0) return t('admin.schedules.everyMinutes', { count: ms / 60_000 });
  return t('admin.schedules.everySeconds', { count: ms / 1000 });
}

function lastResult(run: ScheduleRun | null): string {
  if (!run) return t('admin.schedules.neverRan');
  if (run.outcome === 'skipped') return t('admin.schedules.skipped');
  if (run.outcome === 'failed')
    return t('admin.schedules.notQueued', { reason: run.error?.message ?? t('admin.schedules.failed') });
  if (run.job_status === 'dead')
    return t('admin.schedules.jobFailed', { reason: run.error?.message ?? t('admin.schedules.deadLettered') });
  return run.job_status ? t(`admin.jobs.states.${run.job_status}`) : t('admin.schedules.queued');
}

const when = (iso: string | null) => (iso ? formatDateTime(iso) : '—');

/** Durable schedules (see docs/schedules.md): next run, last result, failures; pause, resume, run now, delete. */
export function Schedules() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const list = useQuery({
    queryKey,
    queryFn: () => api<ScheduleList>('/v1/admin/schedules'),
    refetchInterval: refreshMs,
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: Action }) =>
      action === 'delete'
        ? api(`/v1/admin/schedules/${encodeURIComponent(id)}`, { method: 'DELETE' })
        : api(`/v1/admin/schedules/${encodeURIComponent(id)}/${action}`, { method: 'POST' }),
    onSettled: () => void client.invalidateQueries({ queryKey }),
  });
  const schedules = list.data?.schedules;

  return (
    <section aria-labelledby="schedules-heading" className="space-y-4">
      <h2 id="schedules-heading" className="text-lg font-semibold">
        {t('admin.schedules.title')}
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('admin.schedules.intro')}</p>
      {list.error && (
        <div className="space-y-1">
          <p className="text-sm font-medium">{t('admin.schedules.loadFailed')}</p>
          <ErrorBox error={list.error} />
        </div>
      )}
      {act.error && (
        <div className="space-y-1">
          <p className="text-sm font-medium">
            {act.variables && t(`admin.schedules.actionFailed.${act.variables.action}`, { id: act.variables.id })}
          </p>
          <ErrorBox error={act.error} />
        </div>
      )}
      {list.isPending && <p className="text-sm text-slate-500">{t('common.loading')}</p>}
      {schedules?.length === 0 && <p className="text-sm text-slate-500">{t('admin.schedules.none')}</p>}
      {schedules && schedules.length > 0 && (
        <AdminTable
          columns={[
            t('admin.schedules.name'),
            t('admin.schedules.job'),
            t('admin.schedules.environment'),
            t('admin.schedules.timing'),
            t('admin.schedules.nextRun'),
            t('admin.schedules.lastResult'),
            t('admin.schedules.runs'),
            t('admin.schedules.failures'),
            { hidden: t('common.actions') },
          ]}
        >
          {schedules.map((schedule) => (
            <tr key={schedule.id} data-schedule={schedule.id}>
              <td>
                {schedule.name}
                <span className="ml-1 text-xs text-slate-500">{t(`admin.schedules.origins.${schedule.origin}`)}</span>
              </td>
              <td>{schedule.job}</td>
              <td>{schedule.environment}</td>
              <td>{timingOf(schedule)}</td>
              <td>{schedule.paused ? t('admin.schedules.paused') : when(schedule.next_run_at)}</td>
              <td>{lastResult(schedule.last_run)}</td>
              <td>{schedule.runs}</td>
              <td>{schedule.failures}</td>
              <td className="space-x-1 whitespace-nowrap">
                <button
                  type="button"
                  className={secondaryButtonClass}
                  disabled={act.isPending}
                  onClick={() => act.mutate({ id: schedule.id, action: schedule.paused ? 'resume' : 'pause' })}
                >
                  {schedule.paused ? t('admin.schedules.resume') : t('admin.schedules.pause')}
                </button>
                <button
                  type="button"
                  className={secondaryButtonClass}
                  disabled={act.isPending}
                  onClick={() => act.mutate({ id: schedule.id, action: 'run' })}
                >
                  {t('admin.schedules.runNow')}
                </button>
                {schedule.origin === 'admin' && (
                  <button
                    type="button"
                    className={secondaryButtonClass}
                    disabled={act.isPending}
                    onClick={() => act.mutate({ id: schedule.id, action: 'delete' })}
                  >
                    {t('admin.schedules.delete')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
    </section>
  );
}
