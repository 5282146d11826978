import type {
  NotificationChannelName,
  NotificationDeliveryMode,
  NotificationPreferences,
} from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../lib/api';
import { useTranslation } from '../lib/i18n';
import { ErrorBox, selectClass } from './ui';

const preferencesKey = ['notification-preferences'] as const;

/** Per kind and channel: off, at once or in the daily digest (the channels this server can send on only). */
export function NotificationSettings() {
  const { t } = useTranslation();
  const channelLabel = (channel: NotificationChannelName) => t(`notificationSettings.channels.${channel}`);
  const client = useQueryClient();
  const preferences = useQuery({
    queryKey: preferencesKey,
    queryFn: () => api<NotificationPreferences>('/api/notifications/preferences'),
  });
  const save = useMutation({
    mutationFn: (change: { kind: string; channel: NotificationChannelName; delivery: NotificationDeliveryMode }) =>
      api<NotificationPreferences>('/api/notifications/preferences', {
        method: 'PUT',
        json: { preferences: [change] },
      }),
    onSuccess: (saved) => client.setQueryData(preferencesKey, saved),
  });

  if (preferences.isLoading) return <p className="px-3 py-4 text-sm">{t('common.loading')}</p>;
  if (!preferences.data) return <ErrorBox error={preferences.error} />;
  const channels = preferences.data.available;
  return (
    <div className="max-h-96 overflow-y-auto px-3 py-2">
      <ErrorBox error={save.error} />
      {preferences.data.kinds.map((kind) => (
        <fieldset key={kind.kind} className="mb-3">
          <legend className="text-sm font-medium">{kind.description}</legend>
          {channels.map((channel) => (
            <label key={channel} className="mt-1 flex items-center justify-between gap-2 text-xs">
              {channelLabel(channel)}
              <select
                className={selectClass}
                aria-label={`${kind.description}: ${channelLabel(channel)}`}
                value={kind.channels[channel]}
                disabled={save.isPending}
                onChange={(event) =>
                  save.mutate({
                    kind: kind.kind,
                    channel,
                    delivery: event.target.value as NotificationDeliveryMode,
                  })
                }
              >
                {(channel === 'in_app'
                  ? (['off', 'immediate'] as const)
                  : (['off', 'immediate', 'daily'] as const)
                ).map((mode) => (
                  <option key={mode} value={mode}>
                    {t(`notificationSettings.modes.${mode}`)}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </fieldset>
      ))}
    </div>
  );
}
