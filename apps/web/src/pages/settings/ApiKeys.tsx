import type { CreatedKey, KeyList, KeyScope } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { KeyStatus, RevokeKeyCell } from '../../components/KeyCells';
import { buttonClass, ErrorBox, Field, inputClass, secondaryButtonClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, useTranslation } from '../../lib/i18n';
import { Section } from './Section';

/** The scopes a user's own key may hold ('admin' belongs to admin keys only; the server refuses it). */
export const accountScopes = ['chat', 'images', 'messages', 'apps'] as const satisfies readonly KeyScope[];

/** Your own API keys (/api/keys): create one with a name, environment and scopes; the secret shows once. */
export function ApiKeys() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [showRevoked, setShowRevoked] = useState(false);
  const keys = useQuery({
    queryKey: ['account-keys', showRevoked],
    queryFn: () => api<KeyList>(`/api/keys?include_revoked=${showRevoked}`),
  });
  const [name, setName] = useState('');
  const [environment, setEnvironment] = useState<'prod' | 'dev'>('dev');
  const [scopes, setScopes] = useState<KeyScope[]>([...accountScopes]);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api<CreatedKey>('/api/keys', { method: 'POST', json: { name: name.trim(), environment, scopes } }),
    onSuccess: (result) => {
      setCreated(result);
      setCopied(false);
      setName('');
      void client.invalidateQueries({ queryKey: ['account-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/api/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['account-keys'] }),
    onSettled: () => setConfirming(null),
  });
  const toggleScope = (scope: KeyScope, on: boolean) =>
    setScopes((old) => accountScopes.filter((entry) => (entry === scope ? on : old.includes(entry))));
  const list = keys.data?.keys ?? [];

  return (
    <Section id="api-keys" title={t('settings.keys.title')}>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('settings.keys.intro')}</p>
      <form
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <div className="flex flex-wrap items-end gap-3">
          <div className="w-64 max-w-full">
            <Field label={t('settings.keys.name')}>
              <input
                className={inputClass}
                required
                maxLength={200}
                value={name}
                onChange={(event) => setName(event.target.value)}
              />
            </Field>
          </div>
          <Field label={t('settings.keys.environment')}>
            <select
              className={selectClass}
              value={environment}
              onChange={(event) => setEnvironment(event.target.value as 'prod' | 'dev')}
            >
              <option value="dev">dev</option>
              <option value="prod">prod</option>
            </select>
          </Field>
        </div>
        <fieldset className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
          <legend className="mb-1 font-medium">{t('settings.keys.scopes')}</legend>
          {accountScopes.map((scope) => (
            <label key={scope} className="flex items-center gap-1">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) => toggleScope(scope, event.target.checked)}
              />
              {t(`settings.keys.scope.${scope}`)}
            </label>
          ))}
        </fieldset>
        <button type="submit" className={buttonClass} disabled={create.isPending || scopes.length === 0}>
          {t('settings.keys.create')}
        </button>
        {scopes.length === 0 && <p className="text-sm text-slate-500">{t('settings.keys.pickScope')}</p>}
      </form>
      <ErrorBox error={create.error ?? revoke.error ?? keys.error} />
      {created && (
        <div role="status" className="rounded border border-green-400 bg-green-50 p-3 text-sm dark:bg-green-950">
          <p className="mb-1">
            {t('settings.keys.createdNotice', { environment: created.record.environment, name: created.record.name })}
          </p>
          <code data-testid="new-account-key" className="break-all">
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
      <label className="flex items-center gap-1 text-sm">
        <input type="checkbox" checked={showRevoked} onChange={(event) => setShowRevoked(event.target.checked)} />
        {t('settings.keys.showRevoked')}
      </label>
      {keys.data && list.length === 0 ? (
        <p className="text-sm text-slate-500">{t('settings.keys.none')}</p>
      ) : (
        <table className="stack-table w-full text-left text-sm [&_td]:py-1 [&_td]:pr-3 [&_th]:pr-3 [&_tbody_tr]:border-t [&_tbody_tr]:border-slate-100 dark:[&_tbody_tr]:border-slate-800">
          <caption className="sr-only">{t('settings.keys.tableCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('settings.keys.name')}</th>
              <th scope="col">{t('settings.keys.environment')}</th>
              <th scope="col">{t('settings.keys.prefix')}</th>
              <th scope="col">{t('settings.keys.scopes')}</th>
              <th scope="col">{t('settings.keys.created')}</th>
              <th scope="col">{t('settings.keys.status')}</th>
              <th scope="col">
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((key) => (
              <tr key={key.id} className={key.revokedAt ? 'text-slate-400' : undefined}>
                <td data-label={t('settings.keys.name')}>{key.name}</td>
                <td data-label={t('settings.keys.environment')}>{key.environment}</td>
                <td data-label={t('settings.keys.prefix')}>
                  <code>{key.prefix}</code>
                </td>
                <td data-label={t('settings.keys.scopes')}>{key.scopes.join(', ')}</td>
                <td data-label={t('settings.keys.created')}>{formatDateTime(key.createdAt)}</td>
                <td data-label={t('settings.keys.status')}>
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
        </table>
      )}
    </Section>
  );
}
