import type { CreatedKey, KeyList, PublicKey as KeyRecord } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { KeyStatus, RevokeKeyCell } from '../../components/KeyCells';
import { buttonClass, ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';

/** An admin key's scopes: 'admin' once, first (it was shown twice: from the flag and from the list). */
export function scopesText(key: Pick<KeyRecord, 'admin' | 'scopes'>): string {
  const scopes = key.admin ? ['admin', ...key.scopes.filter((scope) => scope !== 'admin')] : key.scopes;
  return [...new Set(scopes)].join(', ');
}

/** API keys of both environments: create (the secret is shown once), list, filter, revoke. */
export function Keys() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [showRevoked, setShowRevoked] = useState(false);
  const [filter, setFilter] = useState<'all' | 'prod' | 'dev'>('all');
  const keys = useQuery({
    queryKey: ['keys', showRevoked],
    queryFn: () => api<KeyList>(`/v1/admin/keys?include_revoked=${showRevoked}`),
  });
  const [name, setName] = useState('');
  const [environment, setEnvironment] = useState<'prod' | 'dev'>('dev');
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api<{ key: string; record: KeyRecord }>('/v1/admin/keys', {
        method: 'POST',
        json: { name: name.trim(), environment },
      }),
    onSuccess: (result) => {
      setCreated(result);
      setCopied(false);
      setName('');
      void client.invalidateQueries({ queryKey: ['keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/v1/admin/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['keys'] }),
    onSettled: () => setConfirming(null),
  });
  const columns = [
    t('settings.keys.name'),
    t('settings.keys.environment'),
    t('admin.keys.prefix'),
    t('admin.keys.scopes'),
    t('admin.keys.madeBy'),
    t('admin.keys.created'),
    t('admin.keys.status'),
  ];
  const shown = (keys.data?.keys ?? []).filter((key) => filter === 'all' || key.environment === filter);

  return (
    <section aria-labelledby="keys-heading" className="space-y-4">
      <h2 id="keys-heading" className="text-lg font-semibold">
        {t('admin.keys.title')}
      </h2>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <input
          className={inputClass.replace('w-full', 'w-64 max-w-full')}
          aria-label={t('admin.keys.name')}
          placeholder={t('admin.keys.name')}
          required
          maxLength={200}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <select
          aria-label={t('admin.keys.environment')}
          className={selectClass}
          value={environment}
          onChange={(event) => setEnvironment(event.target.value as 'prod' | 'dev')}
        >
          <option value="dev">dev</option>
          <option value="prod">prod</option>
        </select>
        <button type="submit" className={buttonClass} disabled={create.isPending}>
          {t('admin.keys.create')}
        </button>
      </form>
      <ErrorBox error={create.error ?? revoke.error ?? keys.error} />
      {created && (
        <div role="status" className="rounded border border-green-400 bg-green-50 p-3 text-sm dark:bg-green-950">
          <p className="mb-1">
            {t('settings.keys.createdNotice', { environment: created.record.environment, name: created.record.name })}
          </p>
          <code data-testid="new-key" className="break-all">
            {created.key}
          </code>{' '}
          <button
            type="button"
            className={secondaryButtonClass}
            onClick={() =>
              void navigator.clipboard?.writeText(created.key).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? t('common.copied') : t('settings.keys.copyKey')}
          </button>{' '}
          <button type="button" className={secondaryButtonClass} onClick={() => setCreated(null)}>
            {t('common.done')}
          </button>
        </div>
      )}
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <select
          aria-label={t('admin.keys.showOf')}
          className={selectClass}
          value={filter}
          onChange={(event) => setFilter(event.target.value as 'all' | 'prod' | 'dev')}
        >
          <option value="all">{t('admin.keys.both')}</option>
          <option value="prod">{t('admin.keys.prodOnly')}</option>
          <option value="dev">{t('admin.keys.devOnly')}</option>
        </select>
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={showRevoked} onChange={(event) => setShowRevoked(event.target.checked)} />
          {t('settings.keys.showRevoked')}
        </label>
      </div>
      <AdminTable stackOnPhone columns={[...columns, { hidden: t('common.actions') }]}>
        <tbody>
          {keys.data && shown.length === 0 && (
            <tr>
              <td colSpan={8} className="text-slate-500">
                {t('admin.keys.none')}
              </td>
            </tr>
          )}
          {shown.map((key) => (
            <tr key={key.id} className={key.revokedAt ? 'text-slate-400' : undefined}>
              <td data-label={columns[0]}>{key.name}</td>
              <td data-label={columns[1]}>{key.environment}</td>
              <td data-label={columns[2]}>
                <code>{key.prefix}</code>
              </td>
              <td data-label={columns[3]}>{scopesText(key)}</td>
              <td data-label={columns[4]}>{key.userId ? t('admin.keys.byUser') : t('admin.keys.byAdmin')}</td>
              <td data-label={columns[5]}>{formatDateTime(key.createdAt)}</td>
              <td data-label={columns[6]}>
                <KeyStatus revokedAt={key.revokedAt} />
              </td>
              <RevokeKeyCell
                keyRecord={key}
                confirming={confirming}
                setConfirming={setConfirming}
                pending={revoke.isPending}
                onRevoke={(id) => revoke.mutate(id)}
              />
            </tr>
          ))}
        </tbody>
      </AdminTable>
    </section>
  );
}
