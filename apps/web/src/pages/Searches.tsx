import type { SavedSearch, SavedSearchList, SavedSearchRunList } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass, secondaryButtonClass, selectClass } from '../components/ui';
import { api } from '../lib/api';
import { formatDateTime, t, useTranslation } from '../lib/i18n';

const listKey = ['saved-searches'];

/** Schedules offered in the form; each is a cron expression read in the browser's time zone. */
const cadences = [
  { label: 'daily', cron: '0 8 * * *' },
  { label: 'hourly', cron: '0 * * * *' },
  { label: 'weekly', cron: '0 8 * * 1' },
] as const;

const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function cadenceOf(search: SavedSearch): string {
  const known = cadences.find((cadence) => cadence.cron === search.cron);
  if (known) return `${t(`searches.cadences.${known.label}`)} (${search.timezone})`;
  if (search.cron) return `${search.cron} (${search.timezone})`;
  return t('searches.everyMinutes', { count: Math.round((search.interval_ms ?? 0) / 60_000) });
}

function History({ id }: { id: string }) {
  const { t } = useTranslation();
  const runs = useQuery({
    queryKey: ['saved-search-runs', id],
    queryFn: () => api<SavedSearchRunList>(`/api/searches/${encodeURIComponent(id)}/runs`),
    // Runs happen in the background (on schedule, or after "Run now"): an open history shows them as they come.
    refetchInterval: 5_000,
  });
  if (runs.error) return <ErrorBox error={runs.error} />;
  if (runs.isPending) return <p className="text-sm text-slate-500">{t('common.loading')}</p>;
  if (runs.data.runs.length === 0) return <p className="text-sm text-slate-500">{t('searches.noRuns')}</p>;
  return (
    <ol className="space-y-3" aria-label={t('searches.history')}>
      {runs.data.runs.map((run) => (
        <li key={run.id} data-run={run.id} className="rounded border border-slate-200 p-2 dark:border-slate-800">
          <p className="text-sm">
            {formatDateTime(run.ran_at)}:{' '}
            {run.status === 'failed'
              ? t('searches.runFailed', { message: run.error?.message ?? t('searches.unknownError') })
              : t('searches.newOf', { count: run.new_results, total: run.total_results })}
          </p>
          {run.summary && <p className="mt-1 text-sm italic">{run.summary}</p>}
          {run.results.length > 0 && (
            <ul className="mt-1 list-disc pl-5 text-sm">
              {run.results.map((result) => (
                <li key={result.url}>
                  <a
                    className="text-indigo-600 underline dark:text-indigo-400"
                    href={result.url}
                    rel="noreferrer noopener"
                    target="_blank"
                  >
                    {result.title}
                  </a>
                  {result.snippet && <span className="text-slate-600 dark:text-slate-400"> — {result.snippet}</span>}
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}

function NewSearchForm() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [query, setQuery] = useState('');
  const [cron, setCron] = useState<string>(cadences[0].cron);
  const [timeRange, setTimeRange] = useState('');
  const [sites, setSites] = useState('');
  const [email, setEmail] = useState(false);
  const [summarise, setSummarise] = useState(false);
  const create = useMutation({
    mutationFn: () =>
      api<SavedSearch>('/api/searches', {
        method: 'POST',
        json: {
          query: query.trim(),
          cron,
          timezone: browserTimeZone(),
          ...(timeRange ? { time_range: timeRange } : {}),
          sites: sites
            .split(/[\s,]+/)
            .map((site) => site.trim())
            .filter(Boolean),
          channels: email ? ['in_app', 'email'] : ['in_app'],
          summarise,
        },
      }),
    onSuccess: () => {
      setQuery('');
      setSites('');
      void client.invalidateQueries({ queryKey: listKey });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (query.trim()) create.mutate();
  };
  return (
    <form onSubmit={submit} aria-label={t('searches.new')} className="grid gap-3 sm:grid-cols-2">
      <Field label={t('searches.query')}>
        <input className={inputClass} value={query} onChange={(event) => setQuery(event.target.value)} required />
      </Field>
      <Field label={t('searches.run')}>
        <select className={selectClass} value={cron} onChange={(event) => setCron(event.target.value)}>
          {cadences.map((cadence) => (
            <option key={cadence.cron} value={cadence.cron}>
              {t(`searches.cadences.${cadence.label}`)}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('searches.timeRange')}>
        <select className={selectClass} value={timeRange} onChange={(event) => setTimeRange(event.target.value)}>
          <option value="">{t('searches.anyTime')}</option>
          <option value="day">{t('searches.day')}</option>
          <option value="week">{t('searches.week')}</option>
          <option value="month">{t('searches.month')}</option>
          <option value="year">{t('searches.year')}</option>
        </select>
      </Field>
      <Field label={t('searches.sites')}>
        <input
          className={inputClass}
          placeholder="example.com, example.org"
          value={sites}
          onChange={(event) => setSites(event.target.value)}
        />
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={email} onChange={(event) => setEmail(event.target.checked)} />
        {t('searches.email')}
      </label>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={summarise} onChange={(event) => setSummarise(event.target.checked)} />
        {t('searches.summarise')}
      </label>
      <div className="sm:col-span-2">
        <button type="submit" className={buttonClass} disabled={create.isPending || !query.trim()}>
          {t('searches.save')}
        </button>
      </div>
      {create.error && (
        <div className="sm:col-span-2">
          <ErrorBox error={create.error} />
        </div>
      )}
    </form>
  );
}

/** Saved searches: searches that run on their own, with what each run found that was new. */
export function SearchesPage() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({ queryKey: listKey, queryFn: () => api<SavedSearchList>('/api/searches') });
  const change = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'run' | 'pause' | 'resume' | 'delete' }) => {
      const path = `/api/searches/${encodeURIComponent(id)}`;
      if (action === 'run') return api(`${path}/run`, { method: 'POST' });
      if (action === 'delete') return api(path, { method: 'DELETE' });
      return api(path, { method: 'PATCH', json: { paused: action === 'pause' } });
    },
    onSettled: (_data, _error, { id }) => {
      void client.invalidateQueries({ queryKey: listKey });
      void client.invalidateQueries({ queryKey: ['saved-search-runs', id] });
    },
  });
  const searches = list.data?.searches;

  return (
    <main className="mx-auto max-w-4xl space-y-6 p-4">
      <h1 className="text-xl font-semibold">{t('searches.title')}</h1>
      <NewSearchForm />
      {list.error && <ErrorBox error={list.error} />}
      {change.error && <ErrorBox error={change.error} />}
      {list.isPending && <p className="text-sm text-slate-500">{t('common.loading')}</p>}
      {searches?.length === 0 && <p className="text-sm text-slate-500">{t('searches.empty')}</p>}
      <ul className="space-y-3">
        {searches?.map((search) => (
          <li
            key={search.id}
            data-search={search.id}
            className="rounded border border-slate-200 p-3 dark:border-slate-800"
          >
            <div className="flex flex-wrap items-center gap-2">
              <strong>{search.name}</strong>
              <span className="text-sm text-slate-600 dark:text-slate-400">
                {cadenceOf(search)} ·{' '}
                {search.paused
                  ? t('searches.paused')
                  : t('searches.next', { when: search.next_run_at ? formatDateTime(search.next_run_at) : '—' })}
              </span>
              <span className="ml-auto space-x-1">
                <button
                  type="button"
                  className={secondaryButtonClass}
                  aria-expanded={open === search.id}
                  onClick={() => setOpen(open === search.id ? null : search.id)}
                >
                  {t('searches.historyButton')}
                </button>
                <button
                  type="button"
                  className={secondaryButtonClass}
                  onClick={() => change.mutate({ id: search.id, action: 'run' })}
                >
                  {t('searches.runNow')}
                </button>
                <button
                  type="button"
                  className={secondaryButtonClass}
                  onClick={() => change.mutate({ id: search.id, action: search.paused ? 'resume' : 'pause' })}
                >
                  {search.paused ? t('searches.resume') : t('searches.pause')}
                </button>
                <button
                  type="button"
                  className={secondaryButtonClass}
                  onClick={() => change.mutate({ id: search.id, action: 'delete' })}
                >
                  {t('searches.delete')}
                </button>
              </span>
            </div>
            {open === search.id && (
              <div className="mt-2">
                <History id={search.id} />
              </div>
            )}
          </li>
        ))}
      </ul>
    </main>
  );
}
