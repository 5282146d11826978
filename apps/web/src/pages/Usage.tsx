import type { MyUsageResponse } from '@switchyard/api-schemas';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorBox, Field, selectClass } from '../components/ui';
import { api } from '../lib/api';
import { formatDateTime, formatNumber, formatUsd, useTranslation } from '../lib/i18n';
import { tableClass } from './admin/table';

type Environment = 'prod' | 'dev';
type BudgetState = NonNullable<MyUsageResponse['budgets']['tokens']>;

const usd = (value: number) => {
  const digits = value > 0 && value < 0.01 ? 4 : 2;
  return formatUsd(value, { minimumFractionDigits: digits, maximumFractionDigits: digits });
};
const count = (value: number) => formatNumber(value);

function Budget({
  label,
  state,
  format,
  resets,
}: {
  label: string;
  state: BudgetState;
  format: (value: number) => string;
  resets: string;
}) {
  const { t } = useTranslation();
  const share = state.limit > 0 ? Math.min(1, state.used / state.limit) : 1;
  return (
    <div className="space-y-1" data-budget={label}>
      <div className="flex flex-wrap justify-between gap-2 text-sm">
        <span className="font-medium">{label}</span>
        <span>
          {t('usage.usedOf', { used: format(state.used), limit: format(state.limit) })} ·{' '}
          {t('usage.left', { remaining: format(state.remaining) })}
        </span>
      </div>
      <progress className="h-2 w-full" max={1} value={share} aria-label={label} />
      {state.remaining <= 0 && (
        <p role="status" className="text-sm text-red-700 dark:text-red-400">
          {t('usage.usedUp', { resets })}
        </p>
      )}
    </div>
  );
}

/** /usage: every signed-in user's own plan, this period's usage per model, and what is left of each budget. */
export function UsagePage() {
  const { t } = useTranslation();
  const [environment, setEnvironment] = useState<Environment>('prod');
  const usage = useQuery({
    queryKey: ['my-usage', environment],
    queryFn: () => api<MyUsageResponse>(`/v1/me/usage?environment=${environment}`),
  });
  const data = usage.data;
  const resets = data ? formatDateTime(data.period.resets_at) : '';
  return (
    <main className="mx-auto max-w-3xl space-y-4 p-4">
      <h1 className="text-2xl font-semibold">{t('usage.title')}</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('usage.intro')}</p>
      <div className="w-48">
        <Field label={t('usage.environment')}>
          <select
            className={selectClass}
            value={environment}
            onChange={(event) => setEnvironment(event.target.value as Environment)}
          >
            <option value="prod">prod</option>
            <option value="dev">dev</option>
          </select>
        </Field>
      </div>
      <ErrorBox error={usage.error} />
      {usage.isPending && <p role="status">{t('usage.loading')}</p>}
      {data && (
        <>
          <section
            aria-labelledby="usage-plan"
            className="space-y-1 rounded-lg border border-slate-200 p-4 dark:border-slate-800"
          >
            <h2 id="usage-plan" className="text-lg font-semibold">
              {t('usage.plan', { name: data.plan.name })}
            </h2>
            <p className="text-sm">
              {t('usage.period', {
                period: t(`usage.periods.${data.period.kind === 'day' ? 'day' : 'month'}`),
                start: formatDateTime(data.period.starts_at),
                resets,
              })}
            </p>
            <p className="text-sm text-slate-600 dark:text-slate-400">{t(`usage.owner.${data.budget_owner}`)}</p>
            <dl className="grid grid-cols-3 gap-2 pt-2 text-center">
              <div>
                <dt className="text-xs text-slate-500">{t('usage.requests')}</dt>
                <dd className="text-lg font-semibold" data-total="requests">
                  {count(data.requests)}
                </dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">{t('usage.tokens')}</dt>
                <dd className="text-lg font-semibold" data-total="tokens">
                  {count(data.prompt_tokens + data.completion_tokens)}
                </dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">{t('usage.spend')}</dt>
                <dd className="text-lg font-semibold" data-total="spend">
                  {usd(data.cost_usd)}
                </dd>
              </div>
            </dl>
          </section>
          <section
            aria-labelledby="usage-budgets"
            className="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800"
          >
            <h2 id="usage-budgets" className="text-lg font-semibold">
              {t('usage.budgets')}
            </h2>
            {!data.budgets.tokens && !data.budgets.spend_usd && <p className="text-sm">{t('usage.noBudget')}</p>}
            {data.budgets.tokens && (
              <Budget label={t('usage.tokenBudget')} state={data.budgets.tokens} format={count} resets={resets} />
            )}
            {data.budgets.spend_usd && (
              <Budget label={t('usage.spendBudget')} state={data.budgets.spend_usd} format={usd} resets={resets} />
            )}
          </section>
          <section
            aria-labelledby="usage-models"
            className="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800"
          >
            <h2 id="usage-models" className="text-lg font-semibold">
              {t('usage.byModel')}
            </h2>
            {data.models.length === 0 ? (
              <p className="text-sm">{t('usage.nothing')}</p>
            ) : (
              <div className="overflow-x-auto">
                <table className={tableClass}>
                  <thead>
                    <tr>
                      <th scope="col">{t('usage.model')}</th>
                      <th scope="col">{t('usage.requests')}</th>
                      <th scope="col">{t('usage.tokens')}</th>
                      <th scope="col">{t('usage.spend')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.models.map((row) => (
                      <tr key={row.model ?? ''} data-model={row.model ?? ''}>
                        <td>{row.model ?? t('usage.noModel')}</td>
                        <td>{count(row.requests)}</td>
                        <td>{count(row.prompt_tokens + row.completion_tokens)}</td>
                        <td>{usd(row.cost_usd)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section
            aria-labelledby="usage-limits"
            className="space-y-1 rounded-lg border border-slate-200 p-4 text-sm dark:border-slate-800"
          >
            <h2 id="usage-limits" className="text-lg font-semibold">
              {t('usage.limits')}
            </h2>
            <p>
              {data.limits.models ? t('usage.models', { models: data.limits.models.join(', ') }) : t('usage.allModels')}
            </p>
            <p>{t('usage.perMinute', { value: data.limits.user_requests_per_minute })}</p>
            <p>{t('usage.imagesPerDay', { value: data.limits.images_per_day })}</p>
            <p>{t('usage.audioPerDay', { value: data.limits.audio_minutes_per_day })}</p>
          </section>
        </>
      )}
    </main>
  );
}
