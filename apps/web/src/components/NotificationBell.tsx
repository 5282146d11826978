import type { Notification, NotificationList } from '@switchyard/api-schemas';
import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../lib/api';
import { afterFirstPaint, whenPainted } from '../lib/first-paint';
import { formatDateTime, useTranslation } from '../lib/i18n';
import { navigate } from '../lib/router';
import { NotificationSettings } from './NotificationSettings';

const listKey = ['notifications'] as const;

/** Adds a notification the stream delivered to the cached list (once, newest first) with the new count. */
export function withLiveNotification(
  list: NotificationList | undefined,
  notification: Notification,
  unread: number,
): NotificationList | undefined {
  if (!list) return list;
  const rest = list.notifications.filter((item) => item.id !== notification.id);
  return { ...list, notifications: [notification, ...rest].slice(0, list.limit), unread };
}

/** The notification stream, kept in the cached list. */
function followNotifications(client: QueryClient): EventSource {
  const source = new EventSource('/api/notifications/stream');
  source.addEventListener('notification', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { notification: Notification; unread: number };
    client.setQueryData<NotificationList>(listKey, (current) =>
      withLiveNotification(current, data.notification, data.unread),
    );
  });
  source.addEventListener('unread', (event) => {
    const { unread } = JSON.parse((event as MessageEvent<string>).data) as { unread: number };
    const current = client.getQueryData<NotificationList>(listKey);
    // Read elsewhere (another tab): the list's read marks are stale too.
    if (current && current.unread !== unread) void client.invalidateQueries({ queryKey: listKey });
  });
  return source;
}

/**
 * The bell in the header: the unread count and the newest notifications, kept live by the server's
 * notification stream (EventSource reconnects by itself and resumes with Last-Event-ID).
 */
export function NotificationBell() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [settings, setSettings] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const list = useQuery({
    queryKey: listKey,
    queryFn: whenPainted(() => api<NotificationList>('/api/notifications?limit=20')),
  });

  useEffect(() => {
    let source: EventSource | null = null;
    let closed = false;
    void afterFirstPaint().then(() => {
      if (!closed) source = followNotifications(client);
    });
    return () => {
      closed = true;
      source?.close();
    };
  }, [client]);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !panel.current?.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  const markRead = useMutation({
    mutationFn: (id: string) =>
      api<Notification>(`/api/notifications/${encodeURIComponent(id)}/read`, { method: 'POST' }),
    onSettled: () => client.invalidateQueries({ queryKey: listKey }),
  });
  const markAll = useMutation({
    mutationFn: () => api('/api/notifications/read-all', { method: 'POST' }),
    onSettled: () => client.invalidateQueries({ queryKey: listKey }),
  });

  const unread = list.data?.unread ?? 0;
  const items = list.data?.notifications ?? [];
  const openItem = (item: Notification) => {
    if (!item.read) markRead.mutate(item.id);
    if (item.link?.startsWith('/')) {
      setOpen(false);
      navigate(item.link);
    } else if (item.link) window.open(item.link, '_blank', 'noopener');
  };

  return (
    <div className="relative" ref={panel}>
      <button
        type="button"
        className="relative rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
        aria-label={t('notifications.buttonLabel', { count: unread })}
        aria-expanded={open}
        aria-haspopup="true"
        onClick={() => setOpen((value) => !value)}
      >
        <svg
          aria-hidden="true"
          viewBox="0 0 24 24"
          className="h-5 w-5"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
        >
          <path d="M18 8a6 6 0 1 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.73 21a2 2 0 0 1-3.46 0" />
        </svg>
        {unread > 0 && (
          <span
            data-testid="notification-count"
            className="absolute -right-2 -top-2 min-w-5 rounded-full bg-red-600 px-1 text-center text-xs text-white"
          >
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <section
          aria-label={t('notifications.title')}
          className="absolute right-0 z-20 mt-2 w-80 rounded-md border border-slate-200 bg-white shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          <div className="flex items-center justify-between border-b border-slate-200 px-3 py-2 dark:border-slate-700">
            <h2 className="text-sm font-semibold">
              {settings ? t('notifications.settingsTitle') : t('notifications.title')}
            </h2>
            <span className="flex gap-3">
              {!settings && (
                <button
                  type="button"
                  className="text-xs underline disabled:opacity-50"
                  disabled={unread === 0 || markAll.isPending}
                  onClick={() => markAll.mutate()}
                >
                  {t('notifications.markAllRead')}
                </button>
              )}
              <button type="button" className="text-xs underline" onClick={() => setSettings((value) => !value)}>
                {settings ? t('notifications.back') : t('notifications.settings')}
              </button>
            </span>
          </div>
          {settings ? (
            <NotificationSettings />
          ) : items.length === 0 ? (
            <p className="px-3 py-4 text-sm text-slate-500">{t('notifications.none')}</p>
          ) : (
            <ul className="max-h-96 overflow-y-auto">
              {items.map((item) => (
                <li key={item.id} className="border-b border-slate-100 last:border-0 dark:border-slate-800">
                  <button
                    type="button"
                    className="block w-full px-3 py-2 text-left hover:bg-slate-50 dark:hover:bg-slate-800"
                    onClick={() => openItem(item)}
                  >
                    <span className={`block text-sm ${item.read ? '' : 'font-semibold'}`}>
                      {!item.read && <span className="sr-only">{t('notifications.unread')}</span>}
                      {item.title}
                    </span>
                    <span className="line-clamp-2 block text-xs text-slate-600 dark:text-slate-400">{item.body}</span>
                    <time className="block text-xs text-slate-400" dateTime={item.createdAt}>
                      {formatDateTime(item.createdAt)}
                    </time>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
