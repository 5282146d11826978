import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { buttonClass, ErrorBox, secondaryButtonClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, useTranslation } from '../../lib/i18n';
import { Saved, Section } from './Section';

/** A better-auth session as /api/auth/list-sessions returns it. */
export interface AccountSession {
  id: string;
  token: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  ipAddress?: string | null;
  userAgent?: string | null;
}

/** "Firefox on Linux" from a User-Agent string: enough to recognise one's own devices. */
export function describeDevice(userAgent: string | null | undefined): { browser: string; system: string } | null {
  if (!userAgent) return null;
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /OPR\/|Opera/.test(userAgent)
      ? 'Opera'
      : /Firefox\//.test(userAgent)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : /curl|node|undici|python|Go-http/i.test(userAgent)
              ? (userAgent.split(/[/ ]/)[0] ?? userAgent)
              : null;
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad|iOS/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(userAgent)
          ? 'macOS'
          : /CrOS/.test(userAgent)
            ? 'ChromeOS'
            : /Linux/.test(userAgent)
              ? 'Linux'
              : null;
  if (!browser && !system) return null;
  return { browser: browser ?? '?', system: system ?? '?' };
}

/** Where you are signed in: this device first; sign out one session or every other one. */
export function Sessions() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const sessions = useQuery({
    queryKey: ['account-sessions'],
    queryFn: async () => {
      const [list, current] = await Promise.all([
        api<AccountSession[]>('/api/auth/list-sessions'),
        api<{ session: { id: string } } | null>('/api/auth/get-session'),
      ]);
      const currentId = current?.session.id ?? null;
      return [...list]
        .sort(
          (a, b) => Number(b.id === currentId) - Number(a.id === currentId) || b.updatedAt.localeCompare(a.updatedAt),
        )
        .map((session) => ({ ...session, current: session.id === currentId }));
    },
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['account-sessions'] });
  const revokeOne = useMutation({
    mutationFn: (token: string) => api('/api/auth/revoke-session', { method: 'POST', json: { token } }),
    onSuccess: refresh,
  });
  const revokeOthers = useMutation({
    mutationFn: () => api('/api/auth/revoke-other-sessions', { method: 'POST', json: {} }),
    onSuccess: refresh,
  });
  const others = (sessions.data ?? []).filter((session) => !session.current).length;
  return (
    <Section id="sessions" title={t('settings.sessions.title')}>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('settings.sessions.intro')}</p>
      <ErrorBox error={sessions.error ?? revokeOne.error ?? revokeOthers.error} />
      {sessions.isLoading && <p role="status">{t('common.loading')}</p>}
      <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label={t('settings.sessions.list')}>
        {(sessions.data ?? []).map((session) => {
          const device = describeDevice(session.userAgent);
          const name = device
            ? t('settings.sessions.device', { browser: device.browser, system: device.system })
            : t('settings.sessions.unknownDevice');
          return (
            <li key={session.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
              <span className="min-w-0 flex-1">
                <span className="font-medium">{name}</span>
                {session.current && (
                  <span className="ml-2 rounded bg-green-100 px-1 text-xs text-green-900 dark:bg-green-900 dark:text-green-100">
                    {t('settings.sessions.thisDevice')}
                  </span>
                )}
                <span className="block text-xs text-slate-500">
                  {session.ipAddress ? `${session.ipAddress} · ` : ''}
                  {t('settings.sessions.lastActive', { when: formatDateTime(session.updatedAt) })}
                </span>
              </span>
              {!session.current && (
                <button
                  type="button"
                  className={secondaryButtonClass}
                  aria-label={t('settings.sessions.signOutOneLabel', { name })}
                  disabled={revokeOne.isPending}
                  onClick={() => revokeOne.mutate(session.token)}
                >
                  {t('settings.sessions.signOutOne')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <div className="flex flex-wrap items-center gap-3">
        <button
          type="button"
          className={buttonClass}
          disabled={others === 0 || revokeOthers.isPending}
          onClick={() => revokeOthers.mutate()}
        >
          {t('settings.sessions.signOutOthers')}
        </button>
        <Saved text={revokeOthers.isSuccess ? t('settings.sessions.signedOutOthers') : null} />
      </div>
    </Section>
  );
}
