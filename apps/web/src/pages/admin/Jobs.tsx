import type { AdminJob, JobCounts, AdminJobStats as JobStats } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Trans } from 'react-i18next';
import { ErrorBox, secondaryButtonClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, formatNumber, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';

type DeadJob = Omit<AdminJob, 'status' | 'run_at' | 'result' | 'progress'>;

const states: (keyof JobCounts)[] = ['waiting', 'delayed', 'active', 'completed', 'dead'];
const refreshMs = 5000;

/** Queue depth per job name, rates, workers, and the dead-letter queue with replay and discard. */
export function Jobs() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const stats = useQuery({
    queryKey: ['jobs'],
    queryFn: () => api<JobStats>('/v1/admin/jobs'),
    refetchInterval: refreshMs,
  });
  const dead = useQuery({
    queryKey: ['dead'],
    // The server's default page (the newest 50); it does not coerce query strings, so no ?limit here.
    queryFn: () => api<{ jobs: DeadJob[] }>('/v1/admin/jobs/dead'),
    refetchInterval: refreshMs,
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'replay' | 'discard' }) =>
      action === 'replay'
        ? api(`/v1/admin/jobs/${encodeURIComponent(id)}/replay`, { method: 'POST' })
        : api(`/v1/admin/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ['dead'] });
      void client.invalidateQueries({ queryKey: ['jobs'] });
    },
  });
  const data = stats.data;
  const now = Date.now();
  return (
    <section aria-labelledby="jobs-heading" className="space-y-4">
      <h2 id="jobs-heading" className="text-lg font-semibold">
        {t('admin.jobs.title')}
      </h2>
      <ErrorBox error={stats.error ?? dead.error ?? act.error} />
      {data && (
        <>
          <p className="text-sm">
            <Trans
              i18nKey="admin.jobs.backend"
              values={{
                backend: data.backend,
                completed: formatNumber(data.rates.completedPerMinute),
                dead: formatNumber(data.rates.deadPerMinute),
              }}
              components={{ strong: <strong /> }}
            />
          </p>
          <AdminTable
            caption={t('admin.jobs.queues')}
            columns={[t('admin.jobs.job'), ...states.map((state) => t(`admin.jobs.states.${state}`))]}
          >
            <tbody>
              {Object.entries(data.byName).map(([name, counts]) => (
                <tr key={name}>
                  <th scope="row" className="font-normal">
                    <code>{name}</code>
                  </th>
                  {states.map((state) => (
                    <td key={state}>{counts[state]}</td>
                  ))}
                </tr>
              ))}
              <tr className="font-semibold">
                <th scope="row">{t('admin.jobs.all')}</th>
                {states.map((state) => (
                  <td key={state}>{data[state]}</td>
                ))}
              </tr>
            </tbody>
          </AdminTable>
          <AdminTable
            caption={t('admin.jobs.workers')}
            columns={[
              t('admin.jobs.worker'),
              t('admin.jobs.running'),
              t('admin.jobs.lastHeartbeat'),
              t('admin.jobs.jobsItTakes'),
            ]}
          >
            <tbody>
              {data.workers.length === 0 && (
                <tr>
                  <td colSpan={4} className="text-red-700 dark:text-red-400">
                    {t('admin.jobs.noWorker')}
                  </td>
                </tr>
              )}
              {data.workers.map((worker) => {
                const seconds = Math.max(0, Math.round((now - new Date(worker.last_seen_at).getTime()) / 1000));
                return (
                  <tr key={worker.worker_id}>
                    <td>
                      <code>{worker.worker_id}</code>
                    </td>
                    <td>{worker.active}</td>
                    <td className={seconds > 60 ? 'text-red-700 dark:text-red-400' : undefined}>
                      {t('admin.jobs.secondsAgo', { seconds: formatNumber(seconds) })}
                      {seconds > 60 && t('admin.jobs.stale')}
                    </td>
                    <td className="text-xs">{worker.names.join(', ')}</td>
                  </tr>
                );
              })}
            </tbody>
          </AdminTable>
        </>
      )}
      <h3 className="font-semibold">{t('admin.jobs.deadLetter')}</h3>
      {dead.data?.jobs.length === 0 && <p className="text-sm text-slate-500">{t('admin.jobs.deadEmpty')}</p>}
      {dead.data?.jobs.length === 50 && <p className="text-sm text-slate-500">{t('admin.jobs.deadNewest')}</p>}
      <ul className="space-y-2">
        {dead.data?.jobs.map((job) => (
          <li key={job.id} className="rounded border border-slate-200 p-2 text-sm dark:border-slate-800">
            <div className="flex flex-wrap items-center gap-2">
              <code className="font-semibold">{job.name}</code>
              <span className="text-xs text-slate-500">
                {job.environment} ·{' '}
                {t('admin.jobs.attemptsFailed', {
                  attempts: job.attempts,
                  max: job.max_attempts,
                  when: formatDateTime(job.finished_at ?? job.updated_at),
                })}{' '}
                · <code>{job.id}</code>
              </span>
              <span className="ml-auto flex gap-2">
                <button
                  type="button"
                  className={secondaryButtonClass}
                  aria-label={t('admin.jobs.replayLabel', { name: job.name, id: job.id })}
                  disabled={act.isPending}
                  onClick={() => act.mutate({ id: job.id, action: 'replay' })}
                >
                  {t('admin.jobs.replay')}
                </button>
                <button
                  type="button"
                  className={secondaryButtonClass}
                  aria-label={t('admin.jobs.discardLabel', { name: job.name, id: job.id })}
                  disabled={act.isPending}
                  onClick={() => act.mutate({ id: job.id, action: 'discard' })}
                >
                  {t('admin.jobs.discard')}
                </button>
              </span>
            </div>
            {job.last_error && <p className="mt-1 text-red-700 dark:text-red-400">{job.last_error.message}</p>}
            <details className="mt-1">
              <summary className="cursor-pointer text-xs">{t('admin.jobs.payload')}</summary>
              <pre className="overflow-auto rounded bg-slate-100 p-2 text-xs dark:bg-slate-900">
                {JSON.stringify(job.payload, null, 2)}
              </pre>
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
