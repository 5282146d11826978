import type { Assistant, ChatParameters, FileList } from '@switchyard/api-schemas';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, type ChatModel } from '../lib/api';
import { appsQueryKey, fetchApps } from '../lib/apps';
import { useTranslation } from '../lib/i18n';
import { buttonClass, ErrorBox, inputClass, selectClass } from './ui';

/** The limits of POST /api/assistants, checked before sending so each field says what is wrong. */
export const assistantLimits = {
  name: 200,
  instructions: 20_000,
  apps: 16,
  files: 10,
} as const;

type ParameterName = keyof ChatParameters;
const parameterRules: ReadonlyArray<{ name: ParameterName; min: number; max: number; step: number; integer: boolean }> =
  [
    { name: 'temperature', min: 0, max: 2, step: 0.1, integer: false },
    { name: 'topP', min: 0, max: 1, step: 0.05, integer: false },
    { name: 'maxTokens', min: 1, max: 1_000_000, step: 1, integer: true },
  ];

interface Draft {
  name: string;
  instructions: string;
  model: string;
  parameters: Record<ParameterName, string>;
  apps: string[];
  files: string[];
}

type Problems = Partial<Record<'name' | 'instructions' | ParameterName | 'apps' | 'files', string>>;

const parameterText = (value: number | undefined) => (value === undefined ? '' : String(value));

/**
 * A new custom assistant: name, instructions, model, parameters (temperature, top P, max tokens), the
 * apps a chat with it may use (GET /api/apps) and the files whose text it knows (your uploads), checked
 * field by field before POST /api/assistants. Starts from the chat's model and parameters.
 */
export function AssistantForm({
  model,
  parameters,
  onCreated,
}: {
  model: string;
  parameters: ChatParameters;
  onCreated(assistant: Assistant): void;
}) {
  const { t } = useTranslation();
  const id = useId();
  const initial = (): Draft => ({
    name: '',
    instructions: '',
    model,
    parameters: {
      temperature: parameterText(parameters.temperature),
      topP: parameterText(parameters.topP),
      maxTokens: parameterText(parameters.maxTokens),
    },
    apps: [],
    files: [],
  });
  const [draft, setDraft] = useState<Draft>(initial);
  const [tried, setTried] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const models = useQuery({
    queryKey: ['chat-models'],
    queryFn: () => api<{ models: ChatModel[]; default: string }>('/v1/chat/models'),
  });
  const apps = useQuery({ queryKey: appsQueryKey, queryFn: () => fetchApps(), staleTime: 60_000, retry: false });
  const files = useQuery({
    queryKey: ['files', 'ready'],
    queryFn: async () => (await api<FileList>('/api/files?limit=100')).files.filter((file) => file.status === 'ready'),
  });

  const problems: Problems = {};
  if (!draft.name.trim()) problems.name = t('assistantForm.nameRequired');
  else if (draft.name.trim().length > assistantLimits.name)
    problems.name = t('assistantForm.tooLong', { max: assistantLimits.name });
  if (!draft.instructions.trim()) problems.instructions = t('assistantForm.instructionsRequired');
  else if (draft.instructions.trim().length > assistantLimits.instructions)
    problems.instructions = t('assistantForm.tooLong', { max: assistantLimits.instructions });
  const chosenParameters: ChatParameters = {};
  for (const rule of parameterRules) {
    const text = draft.parameters[rule.name].trim();
    if (text === '') continue;
    const value = Number(text);
    if (!Number.isFinite(value) || value < rule.min || value > rule.max || (rule.integer && !Number.isInteger(value))) {
      problems[rule.name] = rule.integer
        ? t('assistantForm.wholeNumberBetween', { min: rule.min, max: rule.max })
        : t('assistantForm.numberBetween', { min: rule.min, max: rule.max });
    } else chosenParameters[rule.name] = value;
  }
  if (draft.apps.length > assistantLimits.apps)
    problems.apps = t('assistantForm.tooMany', { count: assistantLimits.apps });
  if (draft.files.length > assistantLimits.files)
    problems.files = t('assistantForm.tooMany', { count: assistantLimits.files });
  const valid = Object.keys(problems).length === 0;
  const shown = (field: keyof Problems) => (tried ? problems[field] : undefined);

  const toggle = (list: 'apps' | 'files', value: string) =>
    setDraft((current) => ({
      ...current,
      [list]: current[list].includes(value)
        ? current[list].filter((entry) => entry !== value)
        : [...current[list], value],
    }));

  const create = async () => {
    setTried(true);
    setError(null);
    if (!valid) return;
    setSaving(true);
    try {
      const created = await api<Assistant>('/api/assistants', {
        method: 'POST',
        json: {
          name: draft.name.trim(),
          instructions: draft.instructions.trim(),
          model: draft.model || null,
          parameters: chosenParameters,
          apps: draft.apps,
          files: draft.files,
        },
      });
      setDraft(initial());
      setTried(false);
      onCreated(created);
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  };

  const problem = (field: keyof Problems) => {
    const message = shown(field);
    return message ? (
      <span id={`${id}-${field}-problem`} className="text-xs text-red-600 dark:text-red-400">
        {message}
      </span>
    ) : null;
  };
  const describedBy = (field: keyof Problems) => (shown(field) ? `${id}-${field}-problem` : undefined);

  return (
    <form
      className="mt-2 space-y-2"
      aria-label={t('assistantForm.title')}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void create();
      }}
    >
      <label className="flex flex-col gap-1">
        <span>{t('assistantForm.name')}</span>
        <input
          className={inputClass}
          value={draft.name}
          aria-invalid={shown('name') ? true : undefined}
          aria-describedby={describedBy('name')}
          onChange={(event) => setDraft({ ...draft, name: event.target.value })}
        />
        {problem('name')}
      </label>
      <label className="flex flex-col gap-1">
        <span>{t('assistantForm.instructions')}</span>
        <textarea
          className={inputClass}
          rows={3}
          value={draft.instructions}
          aria-invalid={shown('instructions') ? true : undefined}
          aria-describedby={describedBy('instructions')}
          onChange={(event) => setDraft({ ...draft, instructions: event.target.value })}
        />
        {problem('instructions')}
      </label>
      <label className="flex flex-col gap-1">
        <span>{t('assistantForm.model')}</span>
        <select
          className={selectClass}
          value={draft.model}
          onChange={(event) => setDraft({ ...draft, model: event.target.value })}
        >
          <option value="">{t('assistantForm.defaultModel')}</option>
          {models.data?.models.map((entry) => (
            <option key={entry.id} value={entry.id}>
              {entry.id}
            </option>
          ))}
        </select>
      </label>
      <div className="grid grid-cols-1 gap-2 sm:grid-cols-3">
        {parameterRules.map((rule) => (
          <label key={rule.name} className="flex flex-col gap-1">
            <span>{t(`assistantForm.${rule.name}`)}</span>
            <input
              className={inputClass}
              type="number"
              inputMode="decimal"
              min={rule.min}
              max={rule.max}
              step={rule.step}
              placeholder={t('assistantForm.modelDefault')}
              value={draft.parameters[rule.name]}
              aria-invalid={shown(rule.name) ? true : undefined}
              aria-describedby={describedBy(rule.name)}
              onChange={(event) =>
                setDraft({ ...draft, parameters: { ...draft.parameters, [rule.name]: event.target.value } })
              }
            />
            {problem(rule.name)}
          </label>
        ))}
      </div>
      <fieldset className="space-y-1">
        <legend className="font-medium">{t('assistantForm.apps')}</legend>
        {(apps.data ?? []).length === 0 ? (
          <p className="text-xs text-slate-500">{t('assistantForm.noApps')}</p>
        ) : (
          <div className="flex flex-wrap gap-3">
            {apps.data?.map((app) => (
              <label key={app.id} className="flex items-center gap-1" title={app.description}>
                <input type="checkbox" checked={draft.apps.includes(app.id)} onChange={() => toggle('apps', app.id)} />
                {app.name}
              </label>
            ))}
          </div>
        )}
        {problem('apps')}
      </fieldset>
      <fieldset className="space-y-1">
        <legend className="font-medium">{t('assistantForm.files')}</legend>
        {(files.data ?? []).length === 0 ? (
          <p className="text-xs text-slate-500">{t('assistantForm.noFiles')}</p>
        ) : (
          <div className="flex max-h-32 flex-col gap-1 overflow-auto">
            {files.data?.map((file) => (
              <label key={file.id} className="flex items-center gap-1">
                <input
                  type="checkbox"
                  checked={draft.files.includes(file.id)}
                  onChange={() => toggle('files', file.id)}
                />
                {file.name}
              </label>
            ))}
          </div>
        )}
        {problem('files')}
      </fieldset>
      <button type="submit" className={buttonClass} disabled={saving}>
        {t('assistantForm.create')}
      </button>
      <ErrorBox error={error ?? apps.error ?? files.error} />
    </form>
  );
}
