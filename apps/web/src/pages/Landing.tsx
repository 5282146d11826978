import { useQuery } from '@tanstack/react-query';
import { buttonClass, secondaryButtonClass } from '../components/ui';
import { useTranslation } from '../lib/i18n';
import { navigate } from '../lib/router';

/** Until /ready says ready, ask again every 2 s (a fresh start is opening its databases); then every 30 s. */
export function readinessInterval(ready: boolean | undefined): number {
  return ready ? 30_000 : 2_000;
}

export function Landing({ signedIn }: { signedIn: boolean }) {
  const { t } = useTranslation();
  const ready = useQuery({
    queryKey: ['ready'],
    queryFn: async () => {
      try {
        return (await fetch('/ready')).ok;
      } catch {
        return false;
      }
    },
    refetchInterval: (query) => readinessInterval(query.state.data),
  });
  return (
    <main className="mx-auto max-w-3xl px-4 py-16">
      <h1 className="mb-4 text-4xl font-bold">Switchyard</h1>
      <p className="mb-6 text-lg text-slate-600 dark:text-slate-300">{t('landing.intro')}</p>
      <div className="mb-8 flex flex-wrap gap-3">
        <button type="button" className={buttonClass} onClick={() => navigate(signedIn ? '/chat' : '/signin')}>
          {signedIn ? t('landing.openApp') : t('landing.signIn')}
        </button>
        {!signedIn && (
          <button type="button" className={secondaryButtonClass} onClick={() => navigate('/signup')}>
            {t('landing.createAccount')}
          </button>
        )}
        <a className={secondaryButtonClass} href="/docs">
          {t('nav.apiDocs')}
        </a>
        <a className={secondaryButtonClass} href="/ready" data-testid="readiness">
          {t('landing.status')}{' '}
          <span role="status" aria-live="polite">
            {ready.data === undefined ? (
              t('landing.checking')
            ) : ready.data ? (
              <span className="text-green-700 dark:text-green-400">{t('landing.ready')}</span>
            ) : (
              <span className="text-amber-700 dark:text-amber-400">{t('landing.notReady')}</span>
            )}
          </span>
        </a>
      </div>
      <ul className="list-disc space-y-1 pl-6 text-slate-700 dark:text-slate-300">
        <li>{t('landing.feature1')}</li>
        <li>{t('landing.feature2')}</li>
        <li>{t('landing.feature3')}</li>
      </ul>
    </main>
  );
}
