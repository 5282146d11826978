import type { Setting, SettingList } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatBytes } from '../../lib/files';
import { formatDateTime, formatNumber, t, useTranslation } from '../../lib/i18n';

const groups = [
  { title: 'rateLimits', matches: (key: string) => key.startsWith('rate_limit.') },
  { title: 'quotas', matches: (key: string) => key.startsWith('ai.') || key.includes('quota') },
  { title: 'modelAccess', matches: (key: string) => key.startsWith('models.') },
  { title: 'files', matches: (key: string) => key.startsWith('files.') },
  { title: 'signIn', matches: (key: string) => key.startsWith('auth.') },
] as const;
type Group = (typeof groups)[number]['title'] | 'other';

function groupOf(key: string): Group {
  return groups.find((group) => group.matches(key))?.title ?? 'other';
}

/** A default as a reader wants it: an empty text or list says so ("Default ." was all there was). */
export function describeDefault(value: unknown): string {
  if (value === '' || value === null || value === undefined || (Array.isArray(value) && value.length === 0)) {
    return t('admin.settings.defaultEmpty');
  }
  if (typeof value === 'number') return t('admin.settings.default', { value: formatNumber(value) });
  if (Array.isArray(value)) return t('admin.settings.default', { value: value.join(', ') });
  return t('admin.settings.default', { value: String(value) });
}

/** The description, the default, the range, the current size and when it changed: one sentence each. */
function describeSetting(setting: Setting): string {
  const sentences = [setting.description.replace(/\.\s*$/, '')];
  const range =
    setting.minimum !== undefined || setting.maximum !== undefined
      ? t('admin.settings.range', {
          min: setting.minimum === undefined ? '…' : formatNumber(setting.minimum),
          max: setting.maximum === undefined ? '…' : formatNumber(setting.maximum),
        })
      : null;
  sentences.push(range ? `${describeDefault(setting.default)}; ${range}` : describeDefault(setting.default));
  if (setting.key.endsWith('_bytes') && typeof setting.value === 'number') {
    sentences.push(t('admin.settings.now', { value: formatBytes(setting.value) }));
  }
  if (setting.updatedAt && String(setting.value) !== String(setting.default)) {
    sentences.push(t('admin.settings.changed', { when: formatDateTime(setting.updatedAt) }));
  }
  return `${sentences.join('. ')}.`;
}

/**
 * What the input holds, as the JSON the API expects. Text that is not a number is sent as it is, so the
 * server's validation message (which names the setting and its range) is the one shown.
 */
function parseValue(setting: Setting, text: string): unknown {
  if (setting.type === 'integer' || setting.type === 'number') {
    return /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text;
  }
  if (setting.type === 'boolean') return text === 'true';
  return text;
}

function SettingRow({ setting }: { setting: Setting }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [value, setValue] = useState(String(setting.value));
  const inputId = useId();
  const descriptionId = useId();
  const errorId = useId();
  const save = useMutation({
    mutationFn: (next: unknown) =>
      api<Setting>(`/v1/admin/settings/${encodeURIComponent(setting.key)}`, { method: 'PUT', json: { value: next } }),
    onSuccess: (saved, submitted) => {
      // Shows the stored form of what was saved, but never over an edit typed while the save was on its way.
      setValue((current) => (current.trim() === String(submitted) ? String(saved.value) : current));
      void client.invalidateQueries({ queryKey: ['settings'] });
    },
  });
  const changed = value !== String(save.data ? save.data.value : setting.value);
  return (
    <li className="rounded border border-slate-200 p-2 dark:border-slate-800">
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate(parseValue(setting, value));
        }}
      >
        <div className="min-w-64 flex-1 text-sm">
          <label htmlFor={inputId}>
            <code className="font-semibold">{setting.key}</code>
          </label>
          <span id={descriptionId} className="block text-xs text-slate-500">
            {describeSetting(setting)}
          </span>
          {setting.type === 'boolean' ? (
            <select
              id={inputId}
              className={`${selectClass} mt-1`}
              aria-label={setting.key}
              aria-describedby={descriptionId}
              value={value}
              onChange={(event) => setValue(event.target.value)}
            >
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input
              id={inputId}
              className={`${inputClass} mt-1`}
              aria-label={setting.key}
              inputMode={setting.type === 'integer' || setting.type === 'number' ? 'numeric' : undefined}
              aria-invalid={save.isError || undefined}
              aria-describedby={save.isError ? `${descriptionId} ${errorId}` : descriptionId}
              value={value}
              onChange={(event) => {
                setValue(event.target.value);
                if (!save.isPending) save.reset();
              }}
            />
          )}
        </div>
        <button
          type="submit"
          className={secondaryButtonClass}
          aria-label={t('admin.settings.saveLabel', { key: setting.key })}
          disabled={save.isPending}
        >
          {t('common.save')}
        </button>
        {String(setting.default) !== String(setting.value) && (
          <button
            type="button"
            className={secondaryButtonClass}
            aria-label={t('admin.settings.resetLabel', { key: setting.key })}
            disabled={save.isPending}
            onClick={() => save.mutate(setting.default)}
          >
            {t('admin.settings.reset')}
          </button>
        )}
        {save.isSuccess && !changed && (
          <span role="status" className="text-sm text-green-700 dark:text-green-400">
            {t('settings.saved')}
          </span>
        )}
      </form>
      <div id={errorId}>
        <ErrorBox error={save.error} />
      </div>
    </li>
  );
}

/** Global settings (rate limits, quotas, file limits, sign-in protection), changed at run time. */
export function Settings() {
  const { t } = useTranslation();
  const settings = useQuery({
    queryKey: ['settings'],
    queryFn: () => api<SettingList>('/v1/admin/settings'),
  });
  const grouped = new Map<Group, Setting[]>();
  for (const setting of settings.data?.settings ?? []) {
    const title = groupOf(setting.key);
    grouped.set(title, [...(grouped.get(title) ?? []), setting]);
  }
  return (
    <section aria-labelledby="settings-heading" className="space-y-4">
      <h2 id="settings-heading" className="text-lg font-semibold">
        {t('admin.settings.title')}
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('admin.settings.intro')}</p>
      <ErrorBox error={settings.error} />
      {[...grouped].map(([title, entries]) => (
        <section key={title} aria-label={t(`admin.settings.groups.${title}`)}>
          <h3 className="mb-2 font-medium">{t(`admin.settings.groups.${title}`)}</h3>
          <ul className="space-y-2">
            {entries.map((setting) => (
              <SettingRow key={setting.key} setting={setting} />
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}
