import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorBox, secondaryButtonClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { AdminTable } from './AdminTable';
import { TimeChart } from './TimeChart';
import {
  fillSlots,
  formatMs,
  formatNumber,
  formatPercent,
  formatSlot,
  rangeStart,
  stepOf,
  type UsageResponse,
  usageRanges,
} from './usage-data';

const controlLabel = 'flex flex-col gap-0.5 text-xs font-medium text-slate-600 dark:text-slate-400';

/** How often the dashboard asks again; usage rows are written in batches about once a second. */
export const usageRefreshMs = 10_000;

export function UsageDashboard() {
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
  const per = range.bucket === 'minute' ? 'per minute' : 'per hour';
  const busiest = slots.reduce((best, slot) => (slot.requests > (best?.requests ?? 0) ? slot : best), slots[0]);
  const worstLatency = Math.max(0, ...slots.map((slot) => slot.latency_p95_ms ?? 0));
  const worstErrors = Math.max(0, ...slots.map((slot) => slot.error_rate));
  const scope = `${environment}${model ? `, model ${model}` : ''}, ${range.label.toLowerCase()}`;

  return (
    <section aria-labelledby="usage-heading" className="space-y-4">
      <h2 id="usage-heading" className="sr-only">
        Usage
      </h2>
      <div className="flex flex-wrap items-end gap-2">
        <label className={controlLabel}>
          Environment
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
          Model
          <select className={selectClass} value={model} onChange={(event) => setModel(event.target.value)}>
            <option value="">All models</option>
            {modelChoices.map((choice) => (
              <option key={choice} value={choice}>
                {choice}
              </option>
            ))}
          </select>
        </label>
        <label className={controlLabel}>
          Time range
          <select className={selectClass} value={range.id} onChange={(event) => setRangeId(event.target.value)}>
            {usageRanges.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-1 self-center text-sm">
          <input type="checkbox" checked={autoRefresh} onChange={(event) => setAutoRefresh(event.target.checked)} />
          Auto-refresh every {usageRefreshMs / 1000} s
        </label>
        <button
          type="button"
          className={secondaryButtonClass}
          onClick={() => void usage.refetch()}
          disabled={usage.isFetching}
        >
          Refresh now
        </button>
        <span className="self-center text-xs text-slate-500">
          {usage.dataUpdatedAt > 0 && `Updated ${new Date(usage.dataUpdatedAt).toLocaleTimeString('en-GB')}`}
          {usage.isFetching && ' · loading…'}
        </span>
      </div>
      <ErrorBox error={usage.error} />
      {totals && (
        <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6" data-testid="usage-totals">
          {[
            ['Requests', formatNumber(totals.requests)],
            ['Prompt tokens', formatNumber(totals.prompt_tokens)],
            ['Completion tokens', formatNumber(totals.completion_tokens)],
            ['Spend (USD)', `$${totals.cost_usd.toFixed(4)}`],
            ['Error rate', `${formatPercent(totals.error_rate)} (${formatNumber(totals.errors)})`],
            ['Server errors (5xx)', formatNumber(totals.server_errors)],
            [
              'Latency p50 / p95 / p99',
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
              title={`Requests ${per}`}
              kind="bars"
              labels={labels}
              series={[{ name: 'Requests', colour: 'indigo-500', values: slots.map((slot) => slot.requests) }]}
              format={(value) => formatNumber(value, 1)}
              summary={
                totals.requests === 0
                  ? `No requests (${scope}).`
                  : `${formatNumber(totals.requests)} requests (${scope}); busiest ${busiest ? labels[slots.indexOf(busiest)] : ''} with ${formatNumber(busiest?.requests ?? 0)}.`
              }
            />
            <TimeChart
              title={`Tokens ${per}`}
              kind="bars"
              labels={labels}
              series={[
                { name: 'Prompt', colour: 'sky-400', values: slots.map((slot) => slot.prompt_tokens) },
                { name: 'Completion', colour: 'indigo-500', values: slots.map((slot) => slot.completion_tokens) },
              ]}
              format={(value) => formatNumber(value)}
              summary={`${formatNumber(totals.prompt_tokens)} prompt and ${formatNumber(totals.completion_tokens)} completion tokens (${scope}).`}
            />
            <TimeChart
              title={`Error rate ${per}`}
              kind="bars"
              labels={labels}
              series={[{ name: 'Error rate', colour: 'rose-500', values: slots.map((slot) => slot.error_rate * 100) }]}
              format={(value) => `${formatNumber(value, 1)}%`}
              summary={`${formatPercent(totals.error_rate)} of requests failed overall (${scope}); worst slot ${formatNumber(worstErrors * 100, 1)}%.`}
            />
            <TimeChart
              title={`Latency ${per} (ms)`}
              kind="lines"
              labels={labels}
              series={[
                { name: 'p50', colour: 'emerald-500', values: slots.map((slot) => slot.latency_p50_ms) },
                { name: 'p95', colour: 'amber-500', values: slots.map((slot) => slot.latency_p95_ms) },
                { name: 'p99', colour: 'rose-500', values: slots.map((slot) => slot.latency_p99_ms) },
              ]}
              format={(value) => formatNumber(value, value < 10 ? 1 : 0)}
              summary={`Latency overall p50 ${formatMs(totals.latency_p50_ms)}, p95 ${formatMs(totals.latency_p95_ms)}, p99 ${formatMs(totals.latency_p99_ms)} (${scope}); highest p95 in a slot ${formatMs(worstLatency || null)}.`}
            />
          </div>
          <AdminTable
            caption={<>Per model ({range.label.toLowerCase()})</>}
            columns={[
              'Model',
              'Requests',
              'Prompt tokens',
              'Completion tokens',
              'Spend (USD)',
              'Errors',
              'p50',
              'p95',
              'p99',
            ]}
          >
            <tbody>
              {data.models.length === 0 && (
                <tr>
                  <td colSpan={9} className="text-slate-500">
                    No requests in this period.
                  </td>
                </tr>
              )}
              {data.models.map((row) => (
                <tr
                  key={row.model ?? '(none)'}
                  className={row.model === model ? 'bg-indigo-50 dark:bg-indigo-950' : undefined}
                >
                  <td>{row.model ?? '(none)'}</td>
                  <td>{formatNumber(row.requests)}</td>
                  <td>{formatNumber(row.prompt_tokens)}</td>
                  <td>{formatNumber(row.completion_tokens)}</td>
                  <td>${row.cost_usd.toFixed(4)}</td>
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
