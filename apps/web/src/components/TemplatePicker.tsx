import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '../lib/api';
import { useTranslation } from '../lib/i18n';
import {
  createTemplate,
  deleteTemplate,
  listTemplates,
  missingVariables,
  type PromptTemplate,
  renderTemplate,
  templatesQueryKey,
  variablesOf,
} from '../lib/templates';
import { buttonClass, ErrorBox, Field, inputClass, secondaryButtonClass } from './ui';

/**
 * "Templates": a dialog listing the user's prompt templates. Choosing one asks for its `{{variables}}`;
 * "Insert" renders it on the server and hands the text to `onInsert` (the composer puts it in the message box).
 */
export function TemplatePicker({ onInsert }: { onInsert(text: string): void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const titleId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      // showModal gives the focus trap and inert background; the attribute is the fallback where it is missing.
      if (typeof element.showModal === 'function') element.showModal();
      else element.setAttribute('open', '');
    } else if (!open && element.open) {
      if (typeof element.close === 'function') element.close();
      else element.removeAttribute('open');
    }
  }, [open]);

  const close = () => {
    setOpen(false);
    opener.current?.focus();
  };

  return (
    <>
      <button
        ref={opener}
        type="button"
        className={secondaryButtonClass}
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => setOpen(true)}
      >
        {t('templates.open')}
      </button>
      <dialog
        ref={dialog}
        aria-labelledby={titleId}
        className="m-auto w-[min(40rem,calc(100vw-2rem))] rounded-lg border border-slate-300 bg-white p-0 text-slate-900 backdrop:bg-black/40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
        onClose={() => setOpen(false)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.preventDefault();
            close();
          }
        }}
      >
        {open && (
          <TemplateDialogBody
            titleId={titleId}
            onClose={close}
            onInsert={(text) => {
              onInsert(text);
              close();
            }}
          />
        )}
      </dialog>
    </>
  );
}

function TemplateDialogBody({
  titleId,
  onClose,
  onInsert,
}: {
  titleId: string;
  onClose(): void;
  onInsert(text: string): void;
}) {
  const { t } = useTranslation();
  const [chosen, setChosen] = useState<PromptTemplate | null>(null);
  return (
    <div className="max-h-[80dvh] overflow-y-auto p-4">
      <div className="mb-3 flex items-center gap-2">
        <h2 id={titleId} className="flex-1 text-lg font-semibold">
          {chosen ? t('templates.titleOne', { name: chosen.name }) : t('templates.title')}
        </h2>
        <button type="button" className={secondaryButtonClass} onClick={onClose} aria-label={t('templates.close')}>
          ✕
        </button>
      </div>
      {chosen ? (
        <VariablesForm template={chosen} onBack={() => setChosen(null)} onInsert={onInsert} />
      ) : (
        <TemplateList onChoose={setChosen} />
      )}
    </div>
  );
}

function TemplateList({ onChoose }: { onChoose(template: PromptTemplate): void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const templates = useQuery({ queryKey: templatesQueryKey, queryFn: listTemplates });
  const [confirming, setConfirming] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: deleteTemplate,
    onSuccess: () => client.invalidateQueries({ queryKey: templatesQueryKey }),
    onSettled: () => setConfirming(null),
  });
  return (
    <div className="space-y-4">
      <ErrorBox error={templates.error ?? remove.error} />
      {templates.isLoading && <p className="text-sm text-slate-500">{t('templates.loading')}</p>}
      {templates.data?.length === 0 && <p className="text-sm text-slate-500">{t('templates.empty')}</p>}
      {templates.data && templates.data.length > 0 && (
        <ul aria-label={t('templates.yours')} className="space-y-2">
          {templates.data.map((template) => (
            <li
              key={template.id}
              className="flex flex-wrap items-start gap-2 rounded-md border border-slate-200 p-2 dark:border-slate-800"
            >
              <div className="min-w-0 flex-1">
                <p className="font-medium">{template.name}</p>
                {template.description && (
                  <p className="text-sm text-slate-600 dark:text-slate-400">{template.description}</p>
                )}
                {template.variables.length > 0 && (
                  <p className="text-xs text-slate-500">
                    {t('templates.variables', {
                      names: template.variables.map((name) => `{{${name}}}`).join(', '),
                    })}
                  </p>
                )}
              </div>
              <button
                type="button"
                className={buttonClass}
                aria-label={t('templates.useNamed', { name: template.name })}
                onClick={() => onChoose(template)}
              >
                {t('templates.use')}
              </button>
              {confirming === template.id ? (
                <>
                  <button
                    type="button"
                    className={secondaryButtonClass}
                    aria-label={t('templates.confirmDeleteNamed', { name: template.name })}
                    disabled={remove.isPending}
                    onClick={() => remove.mutate(template.id)}
                  >
                    {t('templates.reallyDelete')}
                  </button>
                  <button type="button" className={secondaryButtonClass} onClick={() => setConfirming(null)}>
                    {t('templates.keep')}
                  </button>
                </>
              ) : (
                <button
                  type="button"
                  className={secondaryButtonClass}
                  aria-label={t('templates.deleteNamed', { name: template.name })}
                  onClick={() => setConfirming(template.id)}
                >
                  {t('templates.delete')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <CreateTemplateForm />
    </div>
  );
}

function CreateTemplateForm() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [body, setBody] = useState('');
  const create = useMutation({
    mutationFn: () =>
      createTemplate({ name: name.trim(), body, ...(description.trim() ? { description: description.trim() } : {}) }),
    onSuccess: () => {
      setName('');
      setDescription('');
      setBody('');
      void client.invalidateQueries({ queryKey: templatesQueryKey });
    },
  });
  const found = variablesOf(body);
  return (
    <form
      aria-label={t('templates.new')}
      className="space-y-2 border-t border-slate-200 pt-3 dark:border-slate-800"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate();
      }}
    >
      <h3 className="font-medium">{t('templates.new')}</h3>
      <Field label={t('templates.name')}>
        <input className={inputClass} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label={t('templates.description')}>
        <input
          className={inputClass}
          maxLength={1000}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </Field>
      <Field label={t('templates.body')}>
        <textarea
          className={`${inputClass} min-h-24 font-mono`}
          required
          maxLength={50_000}
          placeholder={t('templates.bodyPlaceholder', { text: '{{text}}', language: '{{language}}' })}
          aria-describedby="template-body-hint"
          value={body}
          onChange={(e) => setBody(e.target.value)}
        />
      </Field>
      <p id="template-body-hint" className="text-xs text-slate-500">
        {t('templates.hintBefore')} <code>{'{{name}}'}</code> {t('templates.hintAfter')}
        {found.length > 0 && ` ${t('templates.found', { names: found.join(', ') })}`}
      </p>
      <ErrorBox error={create.error} />
      {create.isSuccess && (
        <p role="status" className="text-sm text-green-700 dark:text-green-400">
          {t('templates.saved')}
        </p>
      )}
      <button type="submit" className={buttonClass} disabled={create.isPending}>
        {t('templates.save')}
      </button>
    </form>
  );
}

function VariablesForm({
  template,
  onBack,
  onInsert,
}: {
  template: PromptTemplate;
  onBack(): void;
  onInsert(text: string): void;
}) {
  const { t } = useTranslation();
  const [values, setValues] = useState<Record<string, string>>({});
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => form.current?.querySelector<HTMLElement>('textarea, button[type="submit"]')?.focus(), []);
  const render = useMutation({
    // Empty fields are left out so the server names what is missing; it is the one that decides.
    mutationFn: () =>
      renderTemplate(
        template.id,
        Object.fromEntries(
          Object.entries(values).filter(([name, value]) => template.variables.includes(name) && value !== ''),
        ),
      ),
    onSuccess: onInsert,
  });
  const missing =
    render.error instanceof ApiError && render.error.status === 400 ? missingVariables(render.error.message) : [];
  return (
    <form
      ref={form}
      aria-label={t('templates.fillIn', { name: template.name })}
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        render.mutate();
      }}
    >
      {template.description && <p className="text-sm text-slate-600 dark:text-slate-400">{template.description}</p>}
      <pre className="max-h-40 overflow-auto whitespace-pre-wrap rounded bg-slate-100 p-2 text-xs dark:bg-slate-800">
        {template.body}
      </pre>
      {template.variables.length === 0 && <p className="text-sm">{t('templates.noVariables')}</p>}
      {template.variables.map((name) => (
        <Field key={name} label={name}>
          <textarea
            className={`${inputClass} min-h-10`}
            rows={1}
            aria-invalid={missing.includes(name) || undefined}
            value={values[name] ?? ''}
            onChange={(e) => setValues((current) => ({ ...current, [name]: e.target.value }))}
          />
        </Field>
      ))}
      <ErrorBox error={render.error} />
      <div className="flex gap-2">
        <button type="button" className={secondaryButtonClass} onClick={onBack}>
          {t('templates.back')}
        </button>
        <button type="submit" className={buttonClass} disabled={render.isPending}>
          {t('templates.insert')}
        </button>
      </div>
    </form>
  );
}
