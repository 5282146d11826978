import { useQuery } from '@tanstack/react-query';
import { buttonClass } from '../components/ui';
import { giftSessionsKey, listGiftSessions, sessionStatusLabel } from '../lib/gift-finder';
import { formatDateTime, useTranslation } from '../lib/i18n';
import { navigate, useLocation } from '../lib/router';
import { GiftErrorBox } from './gift-finder/GiftErrorBox';
import { SessionView } from './gift-finder/SessionView';
import { StartForm } from './gift-finder/StartForm';

export const giftFinderPath = '/gifts';
const sessionPath = (id: string) => `${giftFinderPath}?session=${encodeURIComponent(id)}`;

/** The past gift searches, newest first; the open one is marked. */
function PastSessions({ openId }: { openId: string | null }) {
  const { t } = useTranslation();
  const sessions = useQuery({ queryKey: giftSessionsKey, queryFn: listGiftSessions });
  return (
    <nav aria-labelledby="gift-past-title" className="space-y-2">
      <h2 id="gift-past-title" className="text-sm font-semibold">
        {t('gift.pastSearches')}
      </h2>
      <GiftErrorBox error={sessions.error} />
      {sessions.data?.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-300">{t('gift.noneYet')}</p>}
      {sessions.data && sessions.data.length > 0 && (
        <ul className="space-y-1">
          {sessions.data.map((session) => (
            <li key={session.id}>
              <a
                href={sessionPath(session.id)}
                aria-current={session.id === openId ? 'page' : undefined}
                className={`block rounded-md px-2 py-1.5 text-sm hover:bg-slate-100 dark:hover:bg-slate-800 ${
                  session.id === openId ? 'bg-slate-100 font-medium dark:bg-slate-800' : ''
                }`}
                onClick={(event) => {
                  event.preventDefault();
                  navigate(sessionPath(session.id));
                }}
              >
                <span className="block truncate">{session.recipient || t('gift.someone')}</span>
                <span className="block text-xs text-slate-600 dark:text-slate-300">
                  {sessionStatusLabel(session.status)} ·{' '}
                  <time dateTime={session.created_at}>
                    {formatDateTime(session.created_at, { dateStyle: 'medium' })}
                  </time>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}

/** The gift finder: start a search, answer the interview, follow the search, see the ranked gifts. */
export function GiftFinderPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const openId = new URLSearchParams(location.split('?')[1] ?? '').get('session');
  const startNew = () => navigate(giftFinderPath);
  return (
    <main className="mx-auto max-w-6xl p-4">
      <h1 className="mb-4 text-2xl font-semibold">{t('nav.gifts')}</h1>
      <div className="grid gap-6 md:grid-cols-[14rem_minmax(0,1fr)]">
        <aside className="order-last space-y-3 md:order-first">
          {openId && (
            <button type="button" className={buttonClass} onClick={startNew}>
              {t('gift.newSearch')}
            </button>
          )}
          <PastSessions openId={openId} />
        </aside>
        <div className="min-w-0">
          {openId ? (
            <SessionView key={openId} sessionId={openId} onNew={startNew} />
          ) : (
            <StartForm onStarted={(session) => navigate(sessionPath(session.id))} />
          )}
        </div>
      </div>
    </main>
  );
}
