import type { Setting, SettingList } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatBytes } from '../../lib/files';

const groups: { title: string; matches(key: string): boolean }[] = [
  { title: 'Rate limits (requests per minute)', matches: (key) => key.startsWith('rate_limit.') },
  { title: 'Quotas', matches: (key) => key.startsWith('ai.') || key.includes('quota') },
  { title: 'Model access', matches: (key) => key.startsWith('models.') },
  { title: 'Files', matches: (key) => key.startsWith('files.') },
  { title: 'Sign-in protection', matches: (key) => key.startsWith('auth.') },
];

function groupOf(key: string): string {
  return groups.find((group) => group.matches(key))?.title ?? 'Other';
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
  const range =
    setting.minimum !== undefined || setting.maximum !== undefined
      ? `${setting.minimum?.toLocaleString('en-US') ?? '…'} to ${setting.maximum?.toLocaleString('en-US') ?? '…'}`
      : null;
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
            {setting.description}. Default {String(setting.default)}
            {range && `; ${range}`}.
            {setting.key.endsWith('_bytes') &&
              typeof setting.value === 'number' &&
              ` Now ${formatBytes(setting.value)}.`}
            {setting.updatedAt &&
              String(setting.value) !== String(setting.default) &&
              ` Changed ${new Date(setting.updatedAt).toLocaleString('en-GB')}.`}
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
          aria-label={`Save ${setting.key}`}
          disabled={save.isPending}
        >
          Save
        </button>
        {String(setting.default) !== String(setting.value) && (
          <button
            type="button"
            className={secondaryButtonClass}
            aria-label={`Reset ${setting.key} to its default`}
            disabled={save.isPending}
            onClick={() => save.mutate(setting.default)}
          >
            Reset
          </button>
        )}
        {save.isSuccess && !changed && (
          <span role="status" className="text-sm text-green-700 dark:text-green-400">
            Saved
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
  const settings = useQuery({
    queryKey: ['settings'],
    queryFn: () => api<SettingList>('/v1/admin/settings'),
  });
  const grouped = new Map<string, Setting[]>();
  for (const setting of settings.data?.settings ?? []) {
    const title = groupOf(setting.key);
    grouped.set(title, [...(grouped.get(title) ?? []), setting]);
  }
  return (
    <section aria-labelledby="settings-heading" className="space-y-4">
      <h2 id="settings-heading" className="text-lg font-semibold">
        Settings
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Changes apply to the next request in every process, without a restart. Which models each environment may use:
        the config file sets it per model (<code>environments</code>); <em>Model access</em> below turns models off on
        top of that.
      </p>
      <ErrorBox error={settings.error} />
      {[...grouped].map(([title, entries]) => (
        <section key={title} aria-label={title}>
          <h3 className="mb-2 font-medium">{title}</h3>
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
