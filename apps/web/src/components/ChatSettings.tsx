import type { Assistant, ChatParameters, ChatPreset } from '@switchyard/api-schemas';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../lib/api';
import { useTranslation } from '../lib/i18n';
import { AssistantForm } from './AssistantForm';
import { buttonClass, ErrorBox, inputClass, secondaryButtonClass, selectClass } from './ui';

/** What a chat sends with each answer besides the messages. */
export interface ChatSettingsValue {
  systemPrompt: string;
  parameters: ChatParameters;
  assistantId: string | null;
}

export const emptyChatSettings: ChatSettingsValue = { systemPrompt: '', parameters: {}, assistantId: null };

export const presetsKey = ['presets'] as const;
export const assistantsKey = ['assistants'] as const;

function numberOrUndefined(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Drops the parameters left empty, so the model's defaults apply. */
function withParameter(parameters: ChatParameters, name: keyof ChatParameters, text: string): ChatParameters {
  const next = { ...parameters };
  const value = numberOrUndefined(text);
  if (value === undefined) delete next[name];
  else next[name] = value;
  return next;
}

/**
 * The chat's system prompt, parameters and assistant, with saved presets (apply, save as, delete) and
 * custom assistants (choose, create, delete). `onSave` stores the settings on the open chat.
 */
export function ChatSettings({
  value,
  onChange,
  model,
  onModel,
  onSave,
  saving,
}: {
  value: ChatSettingsValue;
  onChange(value: ChatSettingsValue): void;
  /** The model picked for the chat: saved with a preset, set when a preset or an assistant names one. */
  model: string;
  onModel(model: string): void;
  /** Absent for a chat not yet started: the settings go with its first message. */
  onSave?: () => void;
  saving?: boolean;
}) {
  const id = useId();
  const { t } = useTranslation();
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [presetName, setPresetName] = useState('');
  const presets = useQuery({
    queryKey: presetsKey,
    queryFn: async () => (await api<{ presets: ChatPreset[] }>('/api/presets?limit=100')).presets,
  });
  const assistants = useQuery({
    queryKey: assistantsKey,
    queryFn: async () => (await api<{ assistants: Assistant[] }>('/api/assistants?limit=100')).assistants,
  });
  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    }
  };
  const applyPreset = (presetId: string) => {
    const preset = presets.data?.find((entry) => entry.id === presetId);
    if (!preset) return;
    onChange({ ...value, systemPrompt: preset.systemPrompt ?? '', parameters: preset.parameters });
    if (preset.model) onModel(preset.model);
  };
  const savePreset = () =>
    act(async () => {
      await api<ChatPreset>('/api/presets', {
        method: 'POST',
        json: {
          name: presetName.trim(),
          systemPrompt: value.systemPrompt || null,
          model: model || null,
          parameters: value.parameters,
        },
      });
      setPresetName('');
      await client.invalidateQueries({ queryKey: presetsKey });
    });
  const deleteAssistant = (assistantId: string) =>
    act(async () => {
      await api<void>(`/api/assistants/${encodeURIComponent(assistantId)}`, { method: 'DELETE' });
      if (value.assistantId === assistantId) onChange({ ...value, assistantId: null });
      await client.invalidateQueries({ queryKey: assistantsKey });
    });
  const deletePreset = (presetId: string) =>
    act(async () => {
      await api<void>(`/api/presets/${encodeURIComponent(presetId)}`, { method: 'DELETE' });
      await client.invalidateQueries({ queryKey: presetsKey });
    });
  const [presetChoice, setPresetChoice] = useState('');
  const chosenAssistant = assistants.data?.find((entry) => entry.id === value.assistantId);

  return (
    <section
      aria-label={t('chatSettings.label')}
      className="space-y-3 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800"
    >
      <div className="flex flex-wrap items-end gap-2">
        <label className="flex min-w-0 flex-col gap-1">
          <span className="font-medium">{t('chatSettings.assistant')}</span>
          <select
            className={selectClass}
            value={value.assistantId ?? ''}
            onChange={(event) => {
              const assistantId = event.target.value || null;
              onChange({ ...value, assistantId });
              const picked = assistants.data?.find((entry) => entry.id === assistantId);
              if (picked?.model) onModel(picked.model);
            }}
          >
            <option value="">{t('chatSettings.none')}</option>
            {assistants.data?.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.name}
              </option>
            ))}
          </select>
        </label>
        {chosenAssistant && (
          <button
            type="button"
            className={secondaryButtonClass}
            onClick={() => void deleteAssistant(chosenAssistant.id)}
          >
            {t('chatSettings.deleteAssistant')}
          </button>
        )}
        <label className="flex min-w-0 flex-col gap-1">
          <span className="font-medium">{t('chatSettings.preset')}</span>
          <select
            className={selectClass}
            value={presetChoice}
            onChange={(event) => setPresetChoice(event.target.value)}
          >
            <option value="">{t('chatSettings.choosePreset')}</option>
            {presets.data?.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className={secondaryButtonClass}
          disabled={!presetChoice}
          onClick={() => applyPreset(presetChoice)}
        >
          {t('chatSettings.applyPreset')}
        </button>
        <button
          type="button"
          className={secondaryButtonClass}
          disabled={!presetChoice}
          onClick={() => {
            void deletePreset(presetChoice);
            setPresetChoice('');
          }}
        >
          {t('chatSettings.deletePreset')}
        </button>
      </div>
      {chosenAssistant && (
        <p className="text-xs text-slate-500">
          {t('chatSettings.instructionsOf', {
            name: chosenAssistant.name,
            instructions: chosenAssistant.instructions,
          })}
        </p>
      )}
      <label className="block">
        <span className="mb-1 block font-medium">{t('chatSettings.systemPrompt')}</span>
        <textarea
          className={inputClass}
          rows={3}
          value={value.systemPrompt}
          onChange={(event) => onChange({ ...value, systemPrompt: event.target.value })}
        />
      </label>
      <div className="grid grid-cols-1 gap-2 sm:grid-cols-3">
        {(
          [
            ['temperature', t('chatSettings.temperature'), t('chatSettings.range', { min: 0, max: 2 }), 0, 2, 0.1],
            ['topP', t('chatSettings.topP'), t('chatSettings.range', { min: 0, max: 1 }), 0, 1, 0.05],
            ['maxTokens', t('chatSettings.maxTokens'), t('chatSettings.modelDefault'), 1, 1_000_000, 1],
          ] as const
        ).map(([name, label, hint, min, max, step]) => (
          <label key={name} className="flex flex-col gap-1">
            <span className="font-medium">{label}</span>
            <input
              className={inputClass}
              type="number"
              inputMode="decimal"
              min={min}
              max={max}
              step={step}
              placeholder={hint}
              aria-describedby={`${id}-defaults`}
              value={value.parameters[name] ?? ''}
              onChange={(event) =>
                onChange({ ...value, parameters: withParameter(value.parameters, name, event.target.value) })
              }
            />
          </label>
        ))}
      </div>
      <p id={`${id}-defaults`} className="text-xs text-slate-500">
        {t('chatSettings.emptyDefaults')}
      </p>
      <div className="flex flex-wrap items-center gap-2">
        {onSave && (
          <button type="button" className={buttonClass} onClick={onSave} disabled={saving}>
            {t('chatSettings.saveForChat')}
          </button>
        )}
        <label className="flex items-center gap-1">
          <span className="sr-only">{t('chatSettings.presetName')}</span>
          <input
            className={inputClass}
            placeholder={t('chatSettings.presetName')}
            value={presetName}
            onChange={(event) => setPresetName(event.target.value)}
          />
        </label>
        <button
          type="button"
          className={secondaryButtonClass}
          disabled={!presetName.trim()}
          onClick={() => void savePreset()}
        >
          {t('chatSettings.saveAsPreset')}
        </button>
      </div>
      <details>
        <summary className="cursor-pointer font-medium">{t('assistantForm.title')}</summary>
        <AssistantForm
          model={model}
          parameters={value.parameters}
          onCreated={(created) => {
            void client.invalidateQueries({ queryKey: assistantsKey });
            onChange({ ...value, assistantId: created.id });
          }}
        />
      </details>
      <ErrorBox error={error ?? presets.error ?? assistants.error} />
    </section>
  );
}
