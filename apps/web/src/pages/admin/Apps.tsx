import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass, secondaryButtonClass, selectClass } from '../../components/ui';
import { type AdminApp, type AppHealth, adminApps, createProjectApp, type NewApp } from '../../lib/apps';
import { formatNumber, useTranslation } from '../../lib/i18n';
import { listProjects, projectKeys } from '../../lib/projects';
import { AdminTable } from './AdminTable';

/** Apps of every environment: where they come from, whether they answer, enabled or not; check, test, add. */
export function Apps() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const apps = useQuery({ queryKey: adminApps.queryKey, queryFn: adminApps.list });
  const [health, setHealth] = useState<Record<string, AppHealth>>({});
  const [testing, setTesting] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: adminApps.queryKey });
  const toggle = useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) => adminApps.setEnabled(id, enabled),
    onSettled: refresh,
  });
  const check = useMutation({
    mutationFn: adminApps.health,
    onSuccess: (result) => setHealth((current) => ({ ...current, [result.id]: result })),
  });
  const remove = useMutation({
    mutationFn: adminApps.remove,
    onSuccess: refresh,
    onSettled: () => setConfirming(null),
  });
  const list = apps.data ?? [];
  const tested = list.find((app) => app.id === testing);

  return (
    <section aria-labelledby="apps-heading" className="space-y-4">
      <h2 id="apps-heading" className="text-lg font-semibold">
        {t('admin.apps.title')}
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('admin.apps.intro')}</p>
      <ErrorBox error={apps.error ?? toggle.error ?? check.error ?? remove.error} />
      <AdminTable
        columns={[
          t('admin.apps.app'),
          t('admin.apps.kind'),
          t('admin.apps.status'),
          t('admin.apps.environments'),
          t('admin.apps.skills'),
          t('admin.apps.source'),
          t('admin.apps.enabled'),
          { hidden: t('common.actions') },
        ]}
      >
        <tbody>
          {list.map((app) => {
            const checked = health[app.id];
            const enabled = app.enabled ?? true;
            return (
              <tr key={app.id} data-app={app.id}>
                <td>
                  <span className="font-medium">{app.name}</span>
                  {app.name !== app.id && <span className="ml-1 font-mono text-xs text-slate-500">{app.id}</span>}
                </td>
                <td>{t(`admin.apps.kinds.${app.kind}`)}</td>
                <td>
                  <span className={app.status === 'ok' ? 'text-green-700 dark:text-green-400' : 'text-red-600'}>
                    {t(`admin.apps.statuses.${app.status}`)}
                  </span>
                  {app.error && <span className="block text-xs text-slate-500">{app.error}</span>}
                  {checked && (
                    <span role="status" className="block text-xs" data-testid={`health-${app.id}`}>
                      {checked.status === 'ok'
                        ? t('admin.apps.healthOk', {
                            count: checked.skills,
                            ms: formatNumber(Math.round(checked.latency_ms)),
                          })
                        : checked.error
                          ? t('admin.apps.healthDownWith', { error: checked.error })
                          : t('admin.apps.statuses.unavailable')}
                    </span>
                  )}
                </td>
                <td>{app.environments.join(', ')}</td>
                <td className="max-w-xs">{app.skills.join(', ') || '—'}</td>
                <td>{app.source ? t(`admin.apps.sources.${app.source}`) : '—'}</td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={t('admin.apps.enable', { id: app.id })}
                    checked={enabled}
                    disabled={toggle.isPending || app.enabled === undefined}
                    title={app.enabled === undefined ? t('admin.apps.cannotDisable') : undefined}
                    onChange={(event) => toggle.mutate({ id: app.id, enabled: event.target.checked })}
                  />
                </td>
                <td className="space-x-2 whitespace-nowrap">
                  <button
                    type="button"
                    className="underline"
                    aria-label={t('admin.apps.checkLabel', { id: app.id })}
                    disabled={check.isPending}
                    onClick={() => check.mutate(app.id)}
                  >
                    {t('admin.apps.check')}
                  </button>
                  <button
                    type="button"
                    className="underline"
                    aria-label={t('admin.apps.testLabel', { id: app.id })}
                    disabled={app.skills.length === 0}
                    onClick={() => setTesting(testing === app.id ? null : app.id)}
                  >
                    {t('admin.apps.test')}
                  </button>
                  {app.source === 'admin' &&
                    (confirming === app.id ? (
                      <button
                        type="button"
                        className="text-red-600 underline"
                        aria-label={t('admin.apps.confirmDeleteLabel', { id: app.id })}
                        onClick={() => remove.mutate(app.id)}
                      >
                        {t('admin.apps.reallyDelete')}
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="underline"
                        aria-label={t('admin.apps.deleteLabel', { id: app.id })}
                        onClick={() => setConfirming(app.id)}
                      >
                        {t('admin.apps.delete')}
                      </button>
                    ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </AdminTable>
      {apps.isSuccess && list.length === 0 && <p className="text-sm text-slate-500">{t('admin.apps.none')}</p>}
      {tested && <SkillTester key={tested.id} app={tested} onClose={() => setTesting(null)} />}
      <CreateApp onCreated={refresh} />
    </section>
  );
}

/** Runs one skill with a JSON input, as the model would (POST /v1/admin/apps/{id}/skills/{skill}/test). */
function SkillTester({ app, onClose }: { app: AdminApp; onClose(): void }) {
  const { t } = useTranslation();
  const [skill, setSkill] = useState(app.skills[0] ?? '');
  const [input, setInput] = useState('{}');
  const [invalid, setInvalid] = useState<string | null>(null);
  const run = useMutation({
    mutationFn: (parsed: Record<string, unknown>) => adminApps.test(app.id, skill, parsed),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      setInvalid(t('admin.apps.notObject', { example: '{"text": "hi"}' }));
      return;
    }
    setInvalid(null);
    run.mutate(parsed as Record<string, unknown>);
  };
  return (
    <form
      aria-label={t('admin.apps.testForm', { id: app.id })}
      className="space-y-2 rounded border border-slate-200 p-3 dark:border-slate-700"
      onSubmit={submit}
    >
      <h3 className="font-semibold">{t('admin.apps.testTitle', { name: app.name })}</h3>
      <Field label={t('admin.apps.skill')}>
        <select className={selectClass} value={skill} onChange={(event) => setSkill(event.target.value)}>
          {app.skills.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('admin.apps.input')}>
        <textarea
          className={`${inputClass} font-mono`}
          rows={4}
          value={input}
          aria-invalid={invalid !== null}
          onChange={(event) => setInput(event.target.value)}
        />
      </Field>
      {invalid && (
        <p role="alert" className="text-sm text-red-600">
          {invalid}
        </p>
      )}
      <ErrorBox error={run.error} />
      <div className="flex gap-2">
        <button type="submit" className={buttonClass} disabled={run.isPending || !skill}>
          {t('admin.apps.run')}
        </button>
        <button type="button" className={secondaryButtonClass} onClick={onClose}>
          {t('admin.apps.close')}
        </button>
      </div>
      {run.data && (
        <div data-testid="skill-output">
          <p className="text-xs text-slate-500">
            {t(run.data.is_error ? 'admin.apps.ranError' : 'admin.apps.ranOk', {
              ms: formatNumber(Math.round(run.data.duration_ms)),
            })}
            {run.data.truncated ? ` ${t('admin.apps.truncated')}` : ''}
          </p>
          <pre
            className={`max-h-64 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-100 p-2 text-xs dark:bg-slate-800 ${run.data.is_error ? 'text-red-700' : ''}`}
          >
            {run.data.output}
          </pre>
        </div>
      )}
    </form>
  );
}

/** Adds a remote app: an MCP server over Streamable HTTP, or an HTTP app (signed with its secret). */
function CreateApp({ onCreated }: { onCreated(): void }) {
  const { t } = useTranslation();
  const empty = { id: '', type: 'mcp' as NewApp['type'], name: '', url: '', baseUrl: '', secret: '', timeoutMs: '' };
  const [form, setForm] = useState(empty);
  const [environments, setEnvironments] = useState<Array<'prod' | 'dev'>>(['dev']);
  // Global, or one of the projects you administer (the other resources' project choice).
  const [projectId, setProjectId] = useState('');
  const projects = useQuery({ queryKey: projectKeys.mine, queryFn: listProjects, staleTime: 60_000 });
  const administered = (projects.data ?? []).filter((project) => project.role === 'owner' || project.role === 'admin');
  const create = useMutation({
    mutationFn: (app: NewApp): Promise<{ id: string }> =>
      projectId ? createProjectApp(app, projectId) : adminApps.create(app),
    onSuccess: () => {
      setForm(empty);
      onCreated();
    },
  });
  const set = (field: keyof typeof empty) => (event: { target: { value: string } }) =>
    setForm((current) => ({ ...current, [field]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const app: NewApp = { id: form.id.trim(), type: form.type, environments };
    if (form.name.trim()) app.name = form.name.trim();
    if (form.type === 'mcp') app.url = form.url.trim();
    else {
      app.base_url = form.baseUrl.trim();
      if (form.secret) app.secret = form.secret;
    }
    if (form.timeoutMs) app.timeout_ms = Number(form.timeoutMs);
    create.mutate(app);
  };
  return (
    <form
      aria-labelledby="create-app-heading"
      className="space-y-2 rounded border border-slate-200 p-3 dark:border-slate-700"
      onSubmit={submit}
    >
      <h3 id="create-app-heading" className="font-semibold">
        {t('admin.apps.addTitle')}
      </h3>
      <div className="grid gap-2 sm:grid-cols-2">
        <Field label={t('admin.apps.id')}>
          <input
            className={inputClass}
            required
            pattern="[a-z0-9][a-z0-9_\-]{0,62}"
            title={t('admin.apps.idPattern')}
            value={form.id}
            onChange={set('id')}
          />
        </Field>
        <Field label={t('admin.apps.name')}>
          <input className={inputClass} value={form.name} onChange={set('name')} />
        </Field>
        <Field label={t('admin.apps.type')}>
          <select className={selectClass} value={form.type} onChange={set('type')}>
            <option value="mcp">{t('admin.apps.typeMcp')}</option>
            <option value="http">{t('admin.apps.typeHttp')}</option>
          </select>
        </Field>
        {form.type === 'mcp' ? (
          <Field label={t('admin.apps.mcpUrl')}>
            <input
              className={inputClass}
              type="url"
              required
              placeholder="https://tools.example.com/mcp"
              value={form.url}
              onChange={set('url')}
            />
          </Field>
        ) : (
          <>
            <Field label={t('admin.apps.baseUrl')}>
              <input
                className={inputClass}
                type="url"
                required
                placeholder="https://app.example.com"
                value={form.baseUrl}
                onChange={set('baseUrl')}
              />
            </Field>
            <Field label={t('admin.apps.secret')}>
              <input
                className={inputClass}
                type="password"
                autoComplete="new-password"
                value={form.secret}
                onChange={set('secret')}
              />
            </Field>
          </>
        )}
        <Field label={t('admin.apps.project')}>
          <select className={selectClass} value={projectId} onChange={(event) => setProjectId(event.target.value)}>
            <option value="">{t('admin.apps.projectGlobal')}</option>
            {administered.map((project) => (
              <option key={project.id} value={project.id}>
                {project.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('admin.apps.timeout')}>
          <input
            className={inputClass}
            type="number"
            min={100}
            placeholder={t('admin.apps.default')}
            value={form.timeoutMs}
            onChange={set('timeoutMs')}
          />
        </Field>
      </div>
      {projectId && <p className="text-xs text-slate-500">{t('admin.apps.projectHint')}</p>}
      <fieldset className="flex gap-4 text-sm" hidden={projectId !== ''}>
        <legend className="mb-1 font-medium">{t('admin.apps.environments')}</legend>
        {(['prod', 'dev'] as const).map((environment) => (
          <label key={environment} className="flex items-center gap-1">
            <input
              type="checkbox"
              checked={environments.includes(environment)}
              onChange={(event) =>
                setEnvironments((current) =>
                  event.target.checked ? [...current, environment] : current.filter((entry) => entry !== environment),
                )
              }
            />
            {environment}
          </label>
        ))}
      </fieldset>
      <ErrorBox error={create.error} />
      {create.isSuccess && (
        <p role="status" className="text-sm text-green-700 dark:text-green-400">
          {t('admin.apps.added', { id: create.data.id })}
        </p>
      )}
      <button
        type="submit"
        className={buttonClass}
        disabled={create.isPending || (projectId === '' && environments.length === 0)}
      >
        {t('admin.apps.add')}
      </button>
    </form>
  );
}
