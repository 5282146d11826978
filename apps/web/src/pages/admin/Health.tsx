import { useQuery } from '@tanstack/react-query';
import { ErrorBox } from '../../components/ui';
import { api } from '../../lib/api';
import { formatPercent, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';
import { formatMs, type Health as HealthState, healthOf, type UsageResponse } from './usage-data';

interface Ready {
  status: 'ready' | 'draining' | 'unavailable' | string;
  mode: string;
  role: string;
  checks: Record<string, { ok: boolean; latency_ms?: number; error?: string; required?: boolean }>;
}

/** Providers are judged on the last 15 minutes of real traffic; we do not spend paid calls probing them. */
const providerWindowMs = 15 * 60_000;

const healthColour: Record<HealthState, string> = {
  idle: 'text-slate-500',
  healthy: 'text-green-700 dark:text-green-400',
  degraded: 'text-amber-700 dark:text-amber-400',
  failing: 'text-red-700 dark:text-red-400',
};

async function readReady(): Promise<Ready> {
  // 503 is an answer here (a dependency is down), with the same body: read it rather than throw.
  const response = await fetch('/ready', { headers: { accept: 'application/json' } });
  return (await response.json()) as Ready;
}

function ProviderHealth() {
  const { t } = useTranslation();
  const usage = useQuery({
    queryKey: ['provider-health'],
    queryFn: async () => {
      const since = new Date(Date.now() - providerWindowMs).toISOString();
      const read = (environment: 'prod' | 'dev') =>
        api<UsageResponse>(`/v1/admin/usage?environment=${environment}&bucket=hour&since=${since}`);
      const [prod, dev] = await Promise.all([read('prod'), read('dev')]);
      return { prod, dev };
    },
    refetchInterval: 10_000,
  });
  const data = usage.data;
  const rows = data
    ? (['prod', 'dev'] as const).flatMap((environment) =>
        data[environment].providers.map((provider) => ({ environment, ...provider })),
      )
    : [];
  return (
    <div className="space-y-2">
      <h3 className="font-semibold">{t('admin.health.providers')}</h3>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('admin.health.providersIntro')}</p>
      <ErrorBox error={usage.error} />
      <AdminTable
        columns={[
          t('admin.health.provider'),
          t('admin.health.env'),
          t('admin.health.state'),
          t('admin.health.requests'),
          t('admin.health.serverErrors'),
          t('admin.health.allErrors'),
          t('admin.health.p95'),
          t('admin.health.models'),
        ]}
      >
        <tbody>
          {usage.data && rows.length === 0 && (
            <tr>
              <td colSpan={8} className="text-slate-500">
                {t('admin.health.noProviders')}
              </td>
            </tr>
          )}
          {rows.map((row) => {
            const state = healthOf(row);
            return (
              <tr key={`${row.environment}:${row.provider}`}>
                <td>{row.provider}</td>
                <td>{row.environment}</td>
                <td className={healthColour[state]}>{t(`admin.health.health.${state}`)}</td>
                <td>{row.requests}</td>
                <td>{row.server_errors}</td>
                <td>{formatPercent(row.error_rate)}</td>
                <td>{formatMs(row.latency_p95_ms)}</td>
                <td className="text-xs">{row.models.join(', ')}</td>
              </tr>
            );
          })}
        </tbody>
      </AdminTable>
    </div>
  );
}

/** Dependencies from /ready (databases, Redis, object storage, workers) and providers from recent traffic. */
export function Health() {
  const { t } = useTranslation();
  const ready = useQuery({ queryKey: ['ready-detail'], queryFn: readReady, refetchInterval: 10_000 });
  return (
    <section aria-labelledby="health-heading" className="space-y-4">
      <h2 id="health-heading" className="text-lg font-semibold">
        {t('admin.health.title')}
      </h2>
      <ErrorBox error={ready.error} />
      <p>
        {t('admin.health.status')} <strong>{ready.data?.status ?? '…'}</strong>
        {ready.data && (
          <span className="text-sm text-slate-500">
            {' '}
            {t('admin.health.modeRole', { mode: ready.data.mode, role: ready.data.role })}
          </span>
        )}
      </p>
      <AdminTable
        caption={t('admin.health.dependencies')}
        columns={[
          t('admin.health.dependency'),
          t('admin.health.state'),
          t('admin.health.latency'),
          t('admin.health.detail'),
        ]}
      >
        <tbody>
          {Object.entries(ready.data?.checks ?? {}).map(([name, check]) => (
            <tr key={name}>
              <td>
                {name.replaceAll('_', ' ')}
                {check.required === false && (
                  <span className="text-xs text-slate-500"> {t('admin.health.notRequired')}</span>
                )}
              </td>
              <td className={check.ok ? 'text-green-700 dark:text-green-400' : 'text-red-700 dark:text-red-400'}>
                <span aria-hidden="true">{check.ok ? '● ' : '▲ '}</span>
                {check.ok ? t('admin.health.ok') : t('admin.health.failing')}
              </td>
              <td>{check.latency_ms === undefined ? '–' : formatMs(check.latency_ms)}</td>
              <td className="text-xs">{check.error}</td>
            </tr>
          ))}
        </tbody>
      </AdminTable>
      <ProviderHealth />
    </section>
  );
}
