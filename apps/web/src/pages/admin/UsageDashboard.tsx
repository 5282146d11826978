import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorBox, secondaryButtonClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, formatPercent, formatUsd, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';
import { TimeChart } from './TimeChart';
import {
  fillSlots,
  formatFigure,
  formatMs,
  formatSlot,
  rangeStart,
  stepOf,
  type UsageResponse,
  usageRanges,
} from './usage-data';

const controlLabel = 'flex flex-col gap-0.5 text-xs font-medium text-slate-600 dark:text-slate-400';

/** Spend to a hundredth of a cent: cheap models cost fractions of a cent per request. */
const usdDigits = { minimumFractionDigits: 4, maximumFractionDigits: 4 };

/** How often the dashboard asks again; usage rows are written in batches about once a second. */
export const usageRefreshMs = 10_000;

export function UsageDashboard() {
  const { t } = useTranslation();
  const [environment, setEnvironment] = useState<'prod' | 'dev'>('prod');
  const [rangeId, setRangeId] = useState('1h');
  const [model, setModel] = useState('');
  const [autoRefresh, setAutoRefresh] = useState(true);
  const range = usageRanges.find((entry) => entry.id === rangeId) ?? (usageRanges[0] as (typeof usageRanges)[0]);
  const step = stepOf(range.bucket);

  const usage = useQuery({
    queryKey: ['usage', environment, range.id, model],
    queryFn: async () => {
      const since = rangeStart(range, Date.now());
      const query = new URLSearchParams({
        environment,
        bucket: range.bucket,
        since: new Date(since).toISOString(),
      });
      if (model) query.set('model', model);
      const data = await api<UsageResponse>(`/v1/admin/usage?${query}`);
      return { ...data, slots: fillSlots(data.buckets, since, step, range.slots) };
    },
    refetchInterval: autoRefresh ? usageRefreshMs : false,
    // Switching filters keeps the old charts up until the new numbers arrive, instead of flashing empty.
    placeholderData: keepPreviousData,
  });

  const data = usage.data;
  const totals = data?.totals;
  const modelChoices = [
    ...new Set([...(data?.models ?? []).flatMap((row) => (row.model ? [row.model] : [])), ...(model ? [model] : [])]),
  ];
  const slots = data?.slots ?? [];
  const labels = slots.map((slot) => formatSlot(slot.start, range.bucket));
  const per = range.bucket === 'minute' ? 'minute' : 'hour';
  const rangeLabel = t(`admin.usage.ranges.${range.id}`);
  const busiest = slots.reduce((best, slot) => (slot.requests > (best?.requests ?? 0) ? slot : best), slots[0]);
  const worstLatency = Math.max(0, ...slots.map((slot) => slot.latency_p95_ms ?? 0));
  const worstErrors = Math.max(0, ...slots.map((slot) => slot.error_rate));
  const scope = `${environment}${model ? `, ${t('admin.usage.modelScope', { model })}` : ''}, ${rangeLabel.toLowerCase()}`;

  return (
    <section aria-labelledby="usage-heading" className="space-y-4">
      <h2 id="usage-heading" className="sr-only">
        {t('admin.usage.title')}
      </h2>
      <div className="flex flex-wrap items-end gap-2">
        <label className={controlLabel}>
          {t('admin.usage.environment')}
          <select
            className={selectClass}
            value={environment}
            onChange={(event) => setEnvironment(event.target.value as 'prod' | 'dev')}
          >
            <option value="prod">prod</option>
            <option value="dev">dev</option>
          </select>
        </label>
        <label className={controlLabel}>
          {t('admin.usage.model')}
          <select className={selectClass} value={model} onChange={(event) => setModel(event.target.value)}>
            <option value="">{t('admin.usage.allModels')}</option>
            {modelChoices.map((choice) => (
              <option key={choice} value={choice}>
                {choice}
              </option>
            ))}
          </select>
        </label>
        <label className={controlLabel}>
          {t('admin.usage.timeRange')}
          <select className={selectClass} value={range.id} onChange={(event) => setRangeId(event.target.value)}>
            {usageRanges.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {t(`admin.usage.ranges.${entry.id}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-1 self-center text-sm">
          <input type="checkbox" checked={autoRefresh} onChange={(event) => setAutoRefresh(event.target.checked)} />
          {t('admin.usage.autoRefresh', { seconds: usageRefreshMs / 1000 })}
        </label>
        <button
          type="button"
          className={secondaryButtonClass}
          onClick={() => void usage.refetch()}
          disabled={usage.isFetching}
        >
          {t('admin.usage.refreshNow')}
        </button>
        <span className="self-center text-xs text-slate-500">
          {usage.dataUpdatedAt > 0 &&
            t('admin.usage.updated', { time: formatDateTime(usage.dataUpdatedAt, { timeStyle: 'medium' }) })}
          {usage.isFetching && ` · ${t('admin.usage.loading')}`}
        </span>
      </div>
      <ErrorBox error={usage.error} />
      {totals && (
        <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6" data-testid="usage-totals">
          {[
            [t('admin.usage.requests'), formatFigure(totals.requests)],
            [t('admin.usage.promptTokens'), formatFigure(totals.prompt_tokens)],
            [t('admin.usage.completionTokens'), formatFigure(totals.completion_tokens)],
            [t('admin.usage.spend'), formatUsd(totals.cost_usd, usdDigits)],
            [t('admin.usage.errorRate'), `${formatPercent(totals.error_rate)} (${formatFigure(totals.errors)})`],
            [t('admin.usage.serverErrors'), formatFigure(totals.server_errors)],
            [
              t('admin.usage.latency'),
              `${formatMs(totals.latency_p50_ms)} / ${formatMs(totals.latency_p95_ms)} / ${formatMs(totals.latency_p99_ms)}`,
            ],
          ].map(([name, value]) => (
            <div key={name} className="rounded border border-slate-200 p-2 dark:border-slate-800">
              <dt className="text-xs text-slate-500">{name}</dt>
              <dd className="text-lg font-semibold">{value}</dd>
            </div>
          ))}
        </dl>
      )}
      {data && totals && (
        <>
          <div className="grid gap-3 lg:grid-cols-2">
            <TimeChart
              title={t(`admin.usage.charts.requests.${per}`)}
              kind="bars"
              labels={labels}
              series={[
                { name: t('admin.usage.requests'), colour: 'indigo-500', values: slots.map((slot) => slot.requests) },
              ]}
              format={(value) => formatFigure(value, 1)}
              summary={
                totals.requests === 0
                  ? t('admin.usage.summary.noRequests', { scope })
                  : t('admin.usage.summary.requests', {
                      count: totals.requests,
                      requests: formatFigure(totals.requests),
                      scope,
                      busiest: busiest ? labels[slots.indexOf(busiest)] : '',
                      most: formatFigure(busiest?.requests ?? 0),
                    })
              }
            />
            <TimeChart
              title={t(`admin.usage.charts.tokens.${per}`)}
              kind="bars"
              labels={labels}
              series={[
                { name: t('admin.usage.prompt'), colour: 'sky-400', values: slots.map((slot) => slot.prompt_tokens) },
                {
                  name: t('admin.usage.completion'),
                  colour: 'indigo-500',
                  values: slots.map((slot) => slot.completion_tokens),
                },
              ]}
              format={(value) => formatFigure(value)}
              summary={t('admin.usage.summary.tokens', {
                prompt: formatFigure(totals.prompt_tokens),
                completion: formatFigure(totals.completion_tokens),
                scope,
              })}
            />
            <TimeChart
              title={t(`admin.usage.charts.errors.${per}`)}
              kind="bars"
              labels={labels}
              series={[
                {
                  name: t('admin.usage.errorRate'),
                  colour: 'rose-500',
                  values: slots.map((slot) => slot.error_rate * 100),
                },
              ]}
              format={(value) => formatPercent(value / 100)}
              summary={t('admin.usage.summary.errors', {
                rate: formatPercent(totals.error_rate),
                scope,
                worst: formatPercent(worstErrors),
              })}
            />
            <TimeChart
              title={t(`admin.usage.charts.latency.${per}`)}
              kind="lines"
              labels={labels}
              series={[
                { name: 'p50', colour: 'emerald-500', values: slots.map((slot) => slot.latency_p50_ms) },
                { name: 'p95', colour: 'amber-500', values: slots.map((slot) => slot.latency_p95_ms) },
                { name: 'p99', colour: 'rose-500', values: slots.map((slot) => slot.latency_p99_ms) },
              ]}
              format={(value) => formatFigure(value, value < 10 ? 1 : 0)}
              summary={t('admin.usage.summary.latency', {
                p50: formatMs(totals.latency_p50_ms),
                p95: formatMs(totals.latency_p95_ms),
                p99: formatMs(totals.latency_p99_ms),
                scope,
                worst: formatMs(worstLatency || null),
              })}
            />
          </div>
          <AdminTable
            caption={t('admin.usage.perModel', { range: rangeLabel.toLowerCase() })}
            columns={[
              t('admin.usage.model'),
              t('admin.usage.requests'),
              t('admin.usage.promptTokens'),
              t('admin.usage.completionTokens'),
              t('admin.usage.spend'),
              t('admin.usage.errors'),
              'p50',
              'p95',
              'p99',
            ]}
          >
            <tbody>
              {data.models.length === 0 && (
                <tr>
                  <td colSpan={9} className="text-slate-500">
                    {t('admin.usage.noRequestsPeriod')}
                  </td>
                </tr>
              )}
              {data.models.map((row) => (
                <tr
                  key={row.model ?? '(none)'}
                  className={row.model === model ? 'bg-indigo-50 dark:bg-indigo-950' : undefined}
                >
                  <td>{row.model ?? t('admin.usage.none')}</td>
                  <td>{formatFigure(row.requests)}</td>
                  <td>{formatFigure(row.prompt_tokens)}</td>
                  <td>{formatFigure(row.completion_tokens)}</td>
                  <td>{formatUsd(row.cost_usd, usdDigits)}</td>
                  <td>{formatPercent(row.error_rate)}</td>
                  <td>{formatMs(row.latency_p50_ms)}</td>
                  <td>{formatMs(row.latency_p95_ms)}</td>
                  <td>{formatMs(row.latency_p99_ms)}</td>
                </tr>
              ))}
            </tbody>
          </AdminTable>
        </>
      )}
    </section>
  );
}
