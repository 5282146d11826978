import type {
  NotificationChannelName,
  NotificationDeliveryMode,
  NotificationPreferences,
} from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../lib/api';
import { useTranslation } from '../lib/i18n';
import { ErrorBox, inputClass, secondaryButtonClass, selectClass } from './ui';

const preferencesKey = ['notification-preferences'] as const;
/** E.164, as the API checks it. */
const e164 = /^\+[1-9][0-9]{6,14}$/;

/** The number WhatsApp notifications go to; empty removes it. */
function WhatsAppNumber({ saved }: { saved: string | null }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [number, setNumber] = useState(saved ?? '');
  const [invalid, setInvalid] = useState(false);
  const save = useMutation({
    mutationFn: (whatsappNumber: string | null) =>
      api<NotificationPreferences>('/api/notifications/preferences', { method: 'PUT', json: { whatsappNumber } }),
    onSuccess: (result) => client.setQueryData(preferencesKey, result),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = number.replaceAll(/[\s()-]/g, '');
    if (value !== '' && !e164.test(value)) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    setNumber(value);
    save.mutate(value === '' ? null : value);
  };
  return (
    <form onSubmit={submit} className="mb-3">
      <label className="block text-sm font-medium" htmlFor="whatsapp-number">
        {t('notificationSettings.whatsappNumber')}
      </label>
      <div className="mt-1 flex gap-2">
        <input
          id="whatsapp-number"
          className={inputClass}
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          placeholder="+4915112345678"
          value={number}
          aria-invalid={invalid}
          onChange={(event) => setNumber(event.target.value)}
        />
        <button type="submit" className={secondaryButtonClass} disabled={save.isPending}>
          {t('common.save')}
        </button>
      </div>
      {invalid ? (
        <p role="alert" className="mt-1 text-xs text-red-600">
          {t('notificationSettings.whatsappNumberInvalid')}
        </p>
      ) : save.isSuccess ? (
        <p className="mt-1 text-xs">
          {t(saved ? 'notificationSettings.whatsappNumberSaved' : 'notificationSettings.whatsappNumberRemoved')}
        </p>
      ) : (
        <p className="mt-1 text-xs opacity-70">{t('notificationSettings.whatsappNumberHint')}</p>
      )}
      <ErrorBox error={save.error} />
    </form>
  );
}

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
      {channels.includes('whatsapp') && <WhatsAppNumber saved={preferences.data.whatsappNumber} />}
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
