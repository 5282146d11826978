import type { Schedule, ScheduleList, ScheduleRun } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorBox, secondaryButtonClass } from '../../components/ui';
import { api } from '../../lib/api';
import { AdminTable } from './AdminTable';

const refreshMs = 5000;
const queryKey = ['admin-schedules'];

type Action = 'pause' | 'resume' | 'run' | 'delete';

function timingOf(schedule: Schedule): string {
  if (schedule.cron) return `${schedule.cron} (${schedule.timezone ?? 'UTC'})`;
  const ms = schedule.interval_ms ?? 0;
  if (ms % 3_600_000 === 0) return `every ${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `every ${ms / 60_000} min`;
  return `every ${ms / 1000} s`;
}

function lastResult(run: ScheduleRun | null): string {
  if (!run) return 'never ran';
  if (run.outcome === 'skipped') return 'skipped (missed)';
  if (run.outcome === 'failed') return `not queued: ${run.error?.message ?? 'failed'}`;
  if (run.job_status === 'dead') return `failed: ${run.error?.message ?? 'dead-lettered'}`;
  return run.job_status ?? 'queued';
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** Durable schedules (see docs/schedules.md): next run, last result, failures; pause, resume, run now, delete. */
export function Schedules() {
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
        Schedules
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Jobs queued on a cron expression or an interval, each tick once across all processes. System schedules run the
        platform's housekeeping; saved searches belong to their users.
      </p>
      {list.error && (
        <div className="space-y-1">
          <p className="text-sm font-medium">Could not load the schedules.</p>
          <ErrorBox error={list.error} />
        </div>
      )}
      {act.error && (
        <div className="space-y-1">
          <p className="text-sm font-medium">
            {act.variables?.action} of {act.variables?.id} failed.
          </p>
          <ErrorBox error={act.error} />
        </div>
      )}
      {list.isPending && <p className="text-sm text-slate-500">Loading…</p>}
      {schedules?.length === 0 && <p className="text-sm text-slate-500">No schedules.</p>}
      {schedules && schedules.length > 0 && (
        <AdminTable
          columns={[
            'Name',
            'Job',
            'Environment',
            'Timing',
            'Next run',
            'Last result',
            'Runs',
            'Failures',
            { hidden: 'Actions' },
          ]}
        >
          {schedules.map((schedule) => (
            <tr key={schedule.id} data-schedule={schedule.id}>
              <td>
                {schedule.name}
                <span className="ml-1 text-xs text-slate-500">{schedule.origin}</span>
              </td>
              <td>{schedule.job}</td>
              <td>{schedule.environment}</td>
              <td>{timingOf(schedule)}</td>
              <td>{schedule.paused ? 'paused' : when(schedule.next_run_at)}</td>
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
                  {schedule.paused ? 'Resume' : 'Pause'}
                </button>
                <button
                  type="button"
                  className={secondaryButtonClass}
                  disabled={act.isPending}
                  onClick={() => act.mutate({ id: schedule.id, action: 'run' })}
                >
                  Run now
                </button>
                {schedule.origin === 'admin' && (
                  <button
                    type="button"
                    className={secondaryButtonClass}
                    disabled={act.isPending}
                    onClick={() => act.mutate({ id: schedule.id, action: 'delete' })}
                  >
                    Delete
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
