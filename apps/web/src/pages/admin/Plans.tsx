import type {
  AssignPlanRequest,
  CreatePlanRequest,
  Plan,
  PlanAssignment,
  PlanAssignmentList,
  PlanList,
} from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass, secondaryButtonClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, formatUsd, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';
import { type Subject, SubjectPicker, type SubjectType } from './SubjectPicker';

const queryKey = ['admin-plans'];

const subjectTypes: readonly SubjectType[] = ['user', 'key', 'project'];

const limitFields = [
  'user_requests_per_minute',
  'key_requests_per_minute',
  'ip_requests_per_minute',
  'images_per_day',
  'audio_minutes_per_day',
] as const;

/** The form's text for every field; empty means null (the settings decide, or no budget). */
interface Draft {
  id: string;
  name: string;
  description: string;
  is_default: boolean;
  models: string;
  apps: string;
  budget_period: 'day' | 'month';
  token_budget: string;
  spend_budget_usd: string;
  soft_limit_percent: string;
  user_requests_per_minute: string;
  key_requests_per_minute: string;
  ip_requests_per_minute: string;
  images_per_day: string;
  audio_minutes_per_day: string;
}

const text = (value: number | null) => (value === null ? '' : String(value));
const list = (values: string[] | null) => (values === null ? '' : values.join(', '));

function draftOf(plan: Plan | null): Draft {
  return {
    id: plan?.id ?? '',
    name: plan?.name ?? '',
    description: plan?.description ?? '',
    is_default: plan?.is_default ?? false,
    models: list(plan?.models ?? null),
    apps: list(plan?.apps ?? null),
    budget_period: plan?.budget_period ?? 'month',
    token_budget: text(plan?.token_budget ?? null),
    spend_budget_usd: text(plan?.spend_budget_usd ?? null),
    soft_limit_percent: String(plan?.soft_limit_percent ?? 80),
    user_requests_per_minute: text(plan?.user_requests_per_minute ?? null),
    key_requests_per_minute: text(plan?.key_requests_per_minute ?? null),
    ip_requests_per_minute: text(plan?.ip_requests_per_minute ?? null),
    images_per_day: text(plan?.images_per_day ?? null),
    audio_minutes_per_day: text(plan?.audio_minutes_per_day ?? null),
  };
}

const numberOrNull = (value: string) => (value.trim() === '' ? null : Number(value));
const listOrNull = (value: string) => {
  const ids = value
    .split(/[,\n]/)
    .map((id) => id.trim())
    .filter(Boolean);
  return ids.length === 0 ? null : ids;
};

/** The request body: every field, so clearing one in the form clears it on the server. */
function bodyOf(draft: Draft): Omit<CreatePlanRequest, 'id'> {
  return {
    name: draft.name.trim(),
    description: draft.description,
    is_default: draft.is_default,
    models: listOrNull(draft.models),
    apps: listOrNull(draft.apps),
    budget_period: draft.budget_period,
    token_budget: numberOrNull(draft.token_budget),
    spend_budget_usd: numberOrNull(draft.spend_budget_usd),
    soft_limit_percent: Number(draft.soft_limit_percent || 80),
    user_requests_per_minute: numberOrNull(draft.user_requests_per_minute),
    key_requests_per_minute: numberOrNull(draft.key_requests_per_minute),
    ip_requests_per_minute: numberOrNull(draft.ip_requests_per_minute),
    images_per_day: numberOrNull(draft.images_per_day),
    audio_minutes_per_day: numberOrNull(draft.audio_minutes_per_day),
  };
}

function PlanForm({ plan, onDone }: { plan: Plan | null; onDone(): void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(plan));
  const save = useMutation({
    mutationFn: (next: Draft) =>
      plan
        ? api<Plan>(`/v1/admin/plans/${encodeURIComponent(plan.id)}`, { method: 'PATCH', json: bodyOf(next) })
        : api<Plan>('/v1/admin/plans', { method: 'POST', json: { id: next.id.trim(), ...bodyOf(next) } }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey });
      onDone();
    },
  });
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((current) => ({ ...current, [key]: value }));
  const numberInput = (key: keyof Draft, step = '1') => (
    <input
      type="number"
      min="0"
      step={step}
      className={inputClass}
      value={draft[key] as string}
      placeholder={t('admin.plans.unset')}
      onChange={(event) => set(key, event.target.value)}
    />
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(draft);
  };
  return (
    <form
      aria-label={plan ? t('admin.plans.editTitle', { id: plan.id }) : t('admin.plans.createTitle')}
      className="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800"
      onSubmit={submit}
    >
      <h3 className="font-medium">
        {plan ? t('admin.plans.editTitle', { id: plan.id }) : t('admin.plans.createTitle')}
      </h3>
      <p className="text-xs text-slate-500">{t('admin.plans.emptyHint')}</p>
      <div className="grid gap-3 sm:grid-cols-2">
        {!plan && (
          <Field label={t('admin.plans.fields.id')}>
            <input
              required
              pattern="[a-z0-9][a-z0-9_\-]{0,62}"
              className={inputClass}
              value={draft.id}
              onChange={(event) => set('id', event.target.value)}
            />
          </Field>
        )}
        <Field label={t('admin.plans.fields.name')}>
          <input
            required
            className={inputClass}
            value={draft.name}
            onChange={(event) => set('name', event.target.value)}
          />
        </Field>
        <Field label={t('admin.plans.fields.description')}>
          <input
            className={inputClass}
            value={draft.description}
            onChange={(event) => set('description', event.target.value)}
          />
        </Field>
        <Field label={t('admin.plans.fields.models')}>
          <input
            className={inputClass}
            value={draft.models}
            placeholder={t('admin.plans.all')}
            onChange={(event) => set('models', event.target.value)}
          />
        </Field>
        <Field label={t('admin.plans.fields.apps')}>
          <input
            className={inputClass}
            value={draft.apps}
            placeholder={t('admin.plans.all')}
            onChange={(event) => set('apps', event.target.value)}
          />
        </Field>
        <Field label={t('admin.plans.fields.budget_period')}>
          <select
            className={selectClass}
            value={draft.budget_period}
            onChange={(event) => set('budget_period', event.target.value as Draft['budget_period'])}
          >
            <option value="day">{t('admin.plans.period.day')}</option>
            <option value="month">{t('admin.plans.period.month')}</option>
          </select>
        </Field>
        <Field label={t('admin.plans.fields.token_budget')}>{numberInput('token_budget')}</Field>
        <Field label={t('admin.plans.fields.spend_budget_usd')}>{numberInput('spend_budget_usd', 'any')}</Field>
        <Field label={t('admin.plans.fields.soft_limit_percent')}>
          <input
            type="number"
            min="1"
            max="100"
            required
            className={inputClass}
            value={draft.soft_limit_percent}
            onChange={(event) => set('soft_limit_percent', event.target.value)}
          />
        </Field>
        {limitFields.map((field) => (
          <Field key={field} label={t(`admin.plans.fields.${field}`)}>
            {numberInput(field)}
          </Field>
        ))}
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={draft.is_default}
          onChange={(event) => set('is_default', event.target.checked)}
        />
        {t('admin.plans.fields.is_default')}
      </label>
      <ErrorBox error={save.error} />
      <div className="space-x-2">
        <button type="submit" className={buttonClass} disabled={save.isPending}>
          {t('admin.plans.save')}
        </button>
        <button type="button" className={secondaryButtonClass} onClick={onDone}>
          {t('admin.plans.cancel')}
        </button>
      </div>
    </form>
  );
}

function Assignments({ plan }: { plan: Plan }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [subjectType, setSubjectType] = useState<SubjectType>('user');
  const [subject, setSubject] = useState<Subject | null>(null);
  // A new search per kind: the picker (and what it chose) starts again.
  const [pickerRound, setPickerRound] = useState(0);
  const assignments = useQuery({
    queryKey: [...queryKey, plan.id, 'assignments'],
    queryFn: () => api<PlanAssignmentList>(`/v1/admin/plans/${encodeURIComponent(plan.id)}/assignments`),
  });
  const refresh = () => void client.invalidateQueries({ queryKey });
  const assign = useMutation({
    mutationFn: (body: AssignPlanRequest) =>
      api<PlanAssignment>('/v1/admin/plan-assignments', { method: 'PUT', json: body }),
    onSuccess: () => {
      setSubject(null);
      setPickerRound((round) => round + 1);
      refresh();
    },
  });
  const unassign = useMutation({
    mutationFn: (row: PlanAssignment) =>
      api<void>(`/v1/admin/plan-assignments/${row.subject_type}/${encodeURIComponent(row.subject_id)}`, {
        method: 'DELETE',
      }),
    onSettled: refresh,
  });
  const rows = assignments.data?.assignments;
  return (
    <section aria-label={t('admin.plans.assignmentsOf', { id: plan.id })} className="space-y-3">
      <h3 className="font-medium">{t('admin.plans.assignmentsOf', { id: plan.id })}</h3>
      <ErrorBox error={assignments.error ?? assign.error ?? unassign.error} />
      {rows?.length === 0 && <p className="text-sm text-slate-500">{t('admin.plans.noAssignments')}</p>}
      {rows && rows.length > 0 && (
        <AdminTable
          columns={[
            t('admin.plans.subjectType'),
            t('admin.plans.subjectId'),
            t('admin.plans.source'),
            t('admin.plans.assignedAt'),
            { hidden: t('admin.plans.actions') },
          ]}
        >
          <tbody>
            {rows.map((row) => (
              <tr
                key={`${row.subject_type}:${row.subject_id}`}
                data-assignment={`${row.subject_type}:${row.subject_id}`}
              >
                <td>{t(`admin.plans.subjects.${row.subject_type}`)}</td>
                <td className="font-mono text-xs">{row.subject_id}</td>
                <td>
                  {row.source}
                  {row.external_reference ? ` (${row.external_reference})` : ''}
                </td>
                <td>{formatDateTime(row.assigned_at)}</td>
                <td>
                  <button
                    type="button"
                    className="underline"
                    disabled={unassign.isPending}
                    onClick={() => unassign.mutate(row)}
                  >
                    {t('admin.plans.unassign')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </AdminTable>
      )}
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          if (subject) assign.mutate({ subject_type: subjectType, subject_id: subject.id, plan_id: plan.id });
        }}
      >
        <Field label={t('admin.plans.subjectType')}>
          <select
            className={selectClass}
            value={subjectType}
            onChange={(event) => {
              setSubjectType(event.target.value as SubjectType);
              setSubject(null);
              setPickerRound((round) => round + 1);
            }}
          >
            {subjectTypes.map((type) => (
              <option key={type} value={type}>
                {t(`admin.plans.subjects.${type}`)}
              </option>
            ))}
          </select>
        </Field>
        <SubjectPicker key={`${subjectType}:${pickerRound}`} type={subjectType} value={subject} onChange={setSubject} />
        <button type="submit" className={buttonClass} disabled={assign.isPending || subject === null}>
          {t('admin.plans.assign')}
        </button>
      </form>
      <p className="text-xs text-slate-500">{t('admin.plans.order')}</p>
    </section>
  );
}

function Budget({ plan }: { plan: Plan }) {
  const { t } = useTranslation();
  const parts = [
    plan.token_budget !== null ? t('admin.plans.tokens', { count: plan.token_budget }) : null,
    plan.spend_budget_usd !== null ? formatUsd(plan.spend_budget_usd) : null,
  ].filter(Boolean);
  if (parts.length === 0) return <>{t('admin.plans.noBudget')}</>;
  const text = t('admin.plans.budgetPer', {
    budget: parts.join(' · '),
    period: t(`admin.plans.period.${plan.budget_period}`),
    percent: plan.soft_limit_percent,
  });
  return <>{text}</>;
}

/** Plans (see docs/projects-and-plans.md): limits, allow-lists and budgets, and who is on each. */
export function Plans() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [editing, setEditing] = useState<Plan | 'new' | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const plans = useQuery({ queryKey, queryFn: () => api<PlanList>('/v1/admin/plans') });
  const remove = useMutation({
    mutationFn: (id: string) => api<void>(`/v1/admin/plans/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSettled: () => {
      setConfirming(null);
      void client.invalidateQueries({ queryKey });
    },
  });
  const rows = plans.data?.plans;
  const opened = rows?.find((plan) => plan.id === open) ?? null;
  return (
    <section aria-labelledby="plans-heading" className="space-y-4">
      <h2 id="plans-heading" className="text-lg font-semibold">
        {t('admin.plans.title')}
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('admin.plans.intro')}</p>
      {plans.data && <p className="text-sm">{t('admin.plans.defaultIs', { id: plans.data.default_plan })}</p>}
      <ErrorBox error={plans.error ?? remove.error} />
      {plans.isPending && <p className="text-sm text-slate-500">{t('admin.plans.loading')}</p>}
      {rows?.length === 0 && <p className="text-sm text-slate-500">{t('admin.plans.none')}</p>}
      {rows && rows.length > 0 && (
        <AdminTable
          columns={[
            t('admin.plans.plan'),
            t('admin.plans.fields.models'),
            t('admin.plans.fields.apps'),
            t('admin.plans.budget'),
            t('admin.plans.assignments'),
            { hidden: t('admin.plans.actions') },
          ]}
        >
          <tbody>
            {rows.map((plan) => (
              <tr key={plan.id} data-plan={plan.id}>
                <td>
                  {plan.name} <span className="font-mono text-xs text-slate-500">{plan.id}</span>
                  {plan.is_default && <span className="ml-1 text-xs">{t('admin.plans.isDefault')}</span>}
                </td>
                <td>{plan.models ? plan.models.join(', ') : t('admin.plans.all')}</td>
                <td>{plan.apps ? plan.apps.join(', ') : t('admin.plans.all')}</td>
                <td>
                  <Budget plan={plan} />
                </td>
                <td>{plan.assignments}</td>
                <td className="space-x-2 whitespace-nowrap">
                  <button type="button" className="underline" onClick={() => setEditing(plan)}>
                    {t('admin.plans.edit')}
                  </button>
                  <button
                    type="button"
                    className="underline"
                    aria-expanded={open === plan.id}
                    onClick={() => setOpen(open === plan.id ? null : plan.id)}
                  >
                    {t('admin.plans.who')}
                  </button>
                  {confirming === plan.id ? (
                    <>
                      <button
                        type="button"
                        className="text-red-700 underline dark:text-red-400"
                        aria-label={t('admin.plans.confirmDeleteLabel', { id: plan.id })}
                        disabled={remove.isPending}
                        onClick={() => remove.mutate(plan.id)}
                      >
                        {t('admin.plans.confirmDelete')}
                      </button>
                      <button type="button" className="underline" onClick={() => setConfirming(null)}>
                        {t('admin.plans.keep')}
                      </button>
                    </>
                  ) : (
                    <button
                      type="button"
                      className="underline"
                      aria-label={t('admin.plans.deleteLabel', { id: plan.id })}
                      onClick={() => setConfirming(plan.id)}
                    >
                      {t('admin.plans.delete')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </AdminTable>
      )}
      {editing === null ? (
        <button type="button" className={buttonClass} onClick={() => setEditing('new')}>
          {t('admin.plans.create')}
        </button>
      ) : (
        <PlanForm
          key={editing === 'new' ? 'new' : editing.id}
          plan={editing === 'new' ? null : editing}
          onDone={() => setEditing(null)}
        />
      )}
      {opened && <Assignments plan={opened} />}
    </section>
  );
}
