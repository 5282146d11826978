import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { buttonClass, ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../components/ui';
import { appsQueryKey, type NewApp, type ProjectApp, projectApps, type UpdateProjectAppRequest } from '../lib/apps';
import { useTranslation } from '../lib/i18n';
import type { Project } from '../lib/projects';

const idPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** The header the form's credential field sets on an MCP app (other headers: the API). */
const credentialHeader = 'authorization';

interface FormValues {
  id: string;
  type: 'mcp' | 'http';
  name: string;
  description: string;
  url: string;
  /** An MCP app's Authorization header or an HTTP app's signing secret; empty keeps the stored one. */
  credential: string;
  removeCredential: boolean;
  enabled: boolean;
}

type FieldErrors = Partial<Record<'id' | 'url', string>>;

const emptyForm: FormValues = {
  id: '',
  type: 'mcp',
  name: '',
  description: '',
  url: '',
  credential: '',
  removeCredential: false,
  enabled: true,
};

const valuesOf = (app: ProjectApp): FormValues => ({
  id: app.id,
  type: app.type,
  name: app.name === app.id ? '' : app.name,
  description: app.description,
  // Query values are shown as "…": the URL is sent back only when it was changed.
  url: app.url ?? app.base_url ?? '',
  credential: '',
  removeCredential: false,
  enabled: app.enabled,
});

const hasCredential = (app: ProjectApp) =>
  app.type === 'http' ? app.has_secret : app.header_names.some((name) => name.toLowerCase() === credentialHeader);

/** A labelled control with its validation message, tied together for screen readers. */
function FormField({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="block text-sm">
      <label htmlFor={id} className="mb-1 block font-medium">
        {label}
      </label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="mt-1 text-xs text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}

/** Adds an app to the project, or changes one (`app`): checked here first, then by the server's rules. */
function ProjectAppForm({
  projectId,
  app,
  onDone,
}: {
  projectId: string;
  app?: ProjectApp;
  /** The saved app; null: cancelled. */
  onDone(saved: ProjectApp | null): void;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  const initial = app ? valuesOf(app) : emptyForm;
  const [form, setForm] = useState<FormValues>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const save = useMutation({
    mutationFn: async (values: FormValues) => {
      if (!app) {
        const created: NewApp = { id: values.id.trim(), type: values.type };
        if (values.name.trim()) created.name = values.name.trim();
        if (values.description.trim()) created.description = values.description.trim();
        if (values.type === 'mcp') {
          created.url = values.url.trim();
          if (values.credential) created.headers = { [credentialHeader]: values.credential };
        } else {
          created.base_url = values.url.trim();
          if (values.credential) created.secret = values.credential;
        }
        return projectApps.create(created, projectId);
      }
      const changes: UpdateProjectAppRequest = {};
      if (values.name.trim() !== initial.name) changes.name = values.name.trim() || app.id;
      if (values.description.trim() !== initial.description) changes.description = values.description.trim();
      if (values.url.trim() !== initial.url) {
        if (app.type === 'mcp') changes.url = values.url.trim();
        else changes.base_url = values.url.trim();
      }
      if (values.enabled !== initial.enabled) changes.enabled = values.enabled;
      if (app.type === 'mcp') {
        if (values.credential) changes.headers = { [credentialHeader]: values.credential };
        else if (values.removeCredential) changes.headers = {};
      } else if (values.credential) changes.secret = values.credential;
      else if (values.removeCredential) changes.secret = null;
      return projectApps.update(app.id, changes);
    },
    onSuccess: (saved) => {
      if (!app) setForm(emptyForm);
      onDone(saved);
    },
  });
  const set =
    <K extends keyof FormValues>(field: K) =>
    (value: FormValues[K]) =>
      setForm((current) => ({ ...current, [field]: value }));

  const check = (values: FormValues): FieldErrors => {
    const found: FieldErrors = {};
    if (!app) {
      if (!values.id.trim()) found.id = t('projectApps.errors.idRequired');
      else if (!idPattern.test(values.id.trim())) found.id = t('projectApps.errors.idPattern');
    }
    const url = values.url.trim();
    if (!url) found.url = t('projectApps.errors.urlRequired');
    else {
      let parsed: URL | null = null;
      try {
        parsed = new URL(url);
      } catch {
        found.url = t('projectApps.errors.urlInvalid');
      }
      if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        found.url = t('projectApps.errors.urlScheme');
      else if (parsed && (parsed.username || parsed.password)) found.url = t('projectApps.errors.urlCredentials');
    }
    return found;
  };

  const formRef = useRef<HTMLFormElement>(null);
  const [attempts, setAttempts] = useState(0);
  // After a refused submit, the first field to fix gets the focus: keyboard and screen reader users land on it
  // and hear its message.
  useEffect(() => {
    if (attempts > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempts]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = check(form);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setAttempts((count) => count + 1);
      return;
    }
    save.mutate(form);
  };

  const type = app?.type ?? form.type;
  const storedCredential = app ? hasCredential(app) : false;
  const credentialLabel = type === 'mcp' ? t('projectApps.authorization') : t('projectApps.secret');

  return (
    <form
      ref={formRef}
      noValidate
      aria-labelledby={headingId}
      className="space-y-2 rounded border border-slate-200 p-3 dark:border-slate-700"
      onSubmit={submit}
    >
      <h4 id={headingId} className="font-medium">
        {app ? t('projectApps.editTitle', { name: app.name }) : t('projectApps.addTitle')}
      </h4>
      <div className="grid gap-2 sm:grid-cols-2">
        {!app && (
          <FormField label={t('projectApps.id')} error={errors.id} hint={t('projectApps.idHint')}>
            {({ id, describedBy, invalid }) => (
              <input
                id={id}
                className={inputClass}
                required
                aria-invalid={invalid}
                aria-describedby={describedBy}
                autoComplete="off"
                value={form.id}
                onChange={(event) => set('id')(event.target.value)}
              />
            )}
          </FormField>
        )}
        {!app && (
          <FormField label={t('projectApps.type')}>
            {({ id }) => (
              <select
                id={id}
                className={`${selectClass} w-full`}
                value={form.type}
                onChange={(event) => set('type')(event.target.value as FormValues['type'])}
              >
                <option value="mcp">{t('projectApps.types.mcp')}</option>
                <option value="http">{t('projectApps.types.http')}</option>
              </select>
            )}
          </FormField>
        )}
        <FormField label={t('projectApps.name')}>
          {({ id }) => (
            <input
              id={id}
              className={inputClass}
              maxLength={100}
              value={form.name}
              onChange={(event) => set('name')(event.target.value)}
            />
          )}
        </FormField>
        <FormField
          label={type === 'mcp' ? t('projectApps.url') : t('projectApps.baseUrl')}
          error={errors.url}
          hint={t('projectApps.urlHint')}
        >
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              className={inputClass}
              type="url"
              inputMode="url"
              required
              maxLength={2048}
              aria-invalid={invalid}
              aria-describedby={describedBy}
              placeholder={type === 'mcp' ? 'https://tools.example.com/mcp' : 'https://app.example.com'}
              value={form.url}
              onChange={(event) => set('url')(event.target.value)}
            />
          )}
        </FormField>
        <div className="sm:col-span-2">
          <FormField label={t('projectApps.description')}>
            {({ id }) => (
              <textarea
                id={id}
                className={inputClass}
                rows={2}
                maxLength={1000}
                value={form.description}
                onChange={(event) => set('description')(event.target.value)}
              />
            )}
          </FormField>
        </div>
        <FormField
          label={credentialLabel}
          hint={storedCredential ? t('projectApps.credentialKept') : t('projectApps.credentialHint')}
        >
          {({ id, describedBy }) => (
            <input
              id={id}
              className={inputClass}
              type="password"
              autoComplete="new-password"
              aria-describedby={describedBy}
              disabled={form.removeCredential}
              value={form.credential}
              onChange={(event) => set('credential')(event.target.value)}
            />
          )}
        </FormField>
        {app && (
          <div className="flex flex-col justify-center gap-1 text-sm">
            {storedCredential && (
              <label className="flex items-center gap-2">
                <input
                  type="checkbox"
                  checked={form.removeCredential}
                  onChange={(event) => set('removeCredential')(event.target.checked)}
                />
                {type === 'mcp' ? t('projectApps.removeAuthorization') : t('projectApps.removeSecret')}
              </label>
            )}
            <label className="flex items-center gap-2">
              <input
                type="checkbox"
                checked={form.enabled}
                onChange={(event) => set('enabled')(event.target.checked)}
              />
              {t('projectApps.enabled')}
            </label>
          </div>
        )}
      </div>
      <ErrorBox error={save.error} />
      <div className="flex flex-wrap gap-2">
        <button type="submit" className={buttonClass} disabled={save.isPending}>
          {app ? t('projectApps.save') : t('projectApps.add')}
        </button>
        {app && (
          <button type="button" className={secondaryButtonClass} onClick={() => onDone(null)}>
            {t('projectApps.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}

/**
 * A project's own apps on the Projects page: every member sees them; its admins and owner add, change and
 * remove them (the server checks the same).
 */
export function ProjectAppsSection({ project }: { project: Project }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const headingId = useId();
  const manages = project.role === 'owner' || project.role === 'admin';
  const apps = useQuery({ queryKey: projectApps.queryKey(project.id), queryFn: () => projectApps.list(project.id) });
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => {
    void client.invalidateQueries({ queryKey: projectApps.queryKey(project.id) });
    // The chat's app picker lists the project's apps too.
    void client.invalidateQueries({ queryKey: appsQueryKey });
  };
  const remove = useMutation({
    mutationFn: projectApps.remove,
    onSuccess: (_result, id) => {
      setNotice(t('projectApps.removed', { id }));
      refresh();
    },
    onSettled: () => setConfirming(null),
  });
  const list = apps.data ?? [];

  return (
    <section aria-labelledby={headingId} className="space-y-2">
      <h3 id={headingId} className="font-medium">
        {t('projectApps.title')}
      </h3>
      <p className="text-xs text-slate-500">{manages ? t('projectApps.introAdmin') : t('projectApps.introMember')}</p>
      <ErrorBox error={apps.error ?? remove.error} />
      <p role="status" className="text-sm text-green-700 dark:text-green-400">
        {notice}
      </p>
      {apps.isSuccess && list.length === 0 && <p className="text-sm text-slate-500">{t('projectApps.none')}</p>}
      {list.length > 0 && (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-labelledby={headingId}>
          {list.map((app) =>
            editing === app.id ? (
              <li key={app.id} className="py-2">
                <ProjectAppForm
                  projectId={project.id}
                  app={app}
                  onDone={(saved) => {
                    setEditing(null);
                    if (!saved) return;
                    setNotice(t('projectApps.saved', { name: saved.name }));
                    refresh();
                  }}
                />
              </li>
            ) : (
              <li key={app.id} data-app={app.id} className="flex flex-wrap items-start gap-2 py-2 text-sm">
                <div className="min-w-0 flex-1">
                  <p>
                    <span className="font-medium">{app.name}</span>
                    {app.name !== app.id && <span className="ml-1 font-mono text-xs text-slate-500">{app.id}</span>}
                    <span className="ml-2 text-xs text-slate-500">{t(`projectApps.types.${app.type}`)}</span>
                    {!app.enabled && (
                      <span className="ml-2 rounded bg-slate-200 px-1 text-xs dark:bg-slate-700">
                        {t('projectApps.off')}
                      </span>
                    )}
                  </p>
                  {app.description && <p className="text-slate-600 dark:text-slate-400">{app.description}</p>}
                  <p className="break-all font-mono text-xs text-slate-500">{app.url ?? app.base_url}</p>
                  {(app.header_names.length > 0 || app.has_secret) && (
                    <p className="text-xs text-slate-500">
                      {app.has_secret
                        ? t('projectApps.hasSecret')
                        : t('projectApps.sendsHeaders', { names: app.header_names.join(', ') })}
                    </p>
                  )}
                </div>
                {manages &&
                  (confirming === app.id ? (
                    <div className="flex flex-wrap items-center gap-2">
                      <span>{t('projectApps.confirmRemove', { name: app.name })}</span>
                      <button
                        type="button"
                        className={`${secondaryButtonClass} text-red-700 dark:text-red-400`}
                        disabled={remove.isPending}
                        onClick={() => remove.mutate(app.id)}
                      >
                        {t('projectApps.reallyRemove')}
                      </button>
                      <button type="button" className={secondaryButtonClass} onClick={() => setConfirming(null)}>
                        {t('projectApps.cancel')}
                      </button>
                    </div>
                  ) : (
                    <div className="flex gap-2">
                      <button
                        type="button"
                        className={secondaryButtonClass}
                        aria-label={t('projectApps.editLabel', { name: app.name })}
                        onClick={() => {
                          setNotice(null);
                          setEditing(app.id);
                        }}
                      >
                        {t('projectApps.edit')}
                      </button>
                      <button
                        type="button"
                        className={secondaryButtonClass}
                        aria-label={t('projectApps.removeLabel', { name: app.name })}
                        onClick={() => {
                          setNotice(null);
                          setConfirming(app.id);
                        }}
                      >
                        {t('projectApps.remove')}
                      </button>
                    </div>
                  ))}
              </li>
            ),
          )}
        </ul>
      )}
      {manages && (
        <ProjectAppForm
          projectId={project.id}
          onDone={(saved) => {
            if (saved) setNotice(t('projectApps.added', { name: saved.name }));
            refresh();
          }}
        />
      )}
    </section>
  );
}
