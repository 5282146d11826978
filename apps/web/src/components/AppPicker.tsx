import { useId, useState } from 'react';
import { focusChoices, useWorkspaceApps } from '../lib/apps';
import { useTranslation } from '../lib/i18n';
import { secondaryButtonClass, selectClass } from './ui';

export interface AppSelection {
  apps: string[];
  focus: string;
}

/**
 * The composer's apps and focus mode: which apps' skills the model may call in the next message,
 * and a focus mode (its prompt, skills and preferred model). Hidden when there are no apps.
 */
export function AppPicker({
  value,
  onChange,
  disabled,
}: {
  value: AppSelection;
  onChange(next: AppSelection): void;
  disabled?: boolean;
}) {
  const { t } = useTranslation();
  const apps = useWorkspaceApps();
  const [open, setOpen] = useState(false);
  const listId = useId();
  const list = apps.data ?? [];
  if (list.length === 0) return null;
  const choices = focusChoices(list);
  const toggle = (id: string, on: boolean) =>
    onChange({ ...value, apps: on ? [...value.apps, id] : value.apps.filter((entry) => entry !== id) });
  return (
    <div className="relative flex flex-wrap items-center gap-2">
      <button
        type="button"
        className={secondaryButtonClass}
        aria-expanded={open}
        aria-controls={listId}
        disabled={disabled}
        onClick={() => setOpen(!open)}
      >
        {value.apps.length > 0 ? t('appPicker.appsCount', { count: value.apps.length }) : t('appPicker.apps')}
      </button>
      {open && (
        <fieldset
          id={listId}
          className="absolute bottom-full left-0 z-10 mb-1 w-72 space-y-1 rounded-md border border-slate-300 bg-white p-2 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          <legend className="sr-only">{t('appPicker.legend')}</legend>
          {list.map((app) => (
            <label key={app.id} className="flex items-start gap-2" title={app.error ?? app.description}>
              <input
                type="checkbox"
                className="mt-1"
                checked={value.apps.includes(app.id)}
                disabled={disabled}
                onChange={(event) => toggle(app.id, event.target.checked)}
              />
              <span>
                <span className="font-medium">{app.name}</span>
                {app.status === 'unavailable' && (
                  <span className="ml-1 text-xs text-red-600">{t('appPicker.unavailable')}</span>
                )}
                <span className="block text-xs text-slate-500">
                  {app.skills.map((skill) => skill.name).join(', ') || app.description}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      {choices.length > 0 && (
        <select
          aria-label={t('appPicker.focusMode')}
          className={selectClass}
          value={value.focus}
          disabled={disabled}
          onChange={(event) => onChange({ ...value, focus: event.target.value })}
        >
          <option value="">{t('appPicker.noFocus')}</option>
          {choices.map((choice) => (
            <option key={choice.value} value={choice.value} title={choice.description}>
              {choice.label}
            </option>
          ))}
        </select>
      )}
    </div>
  );
}
