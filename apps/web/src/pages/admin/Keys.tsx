import type { CreatedKey, KeyList, PublicKey as KeyRecord } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { AdminTable } from './AdminTable';

/** API keys of both environments: create (the secret is shown once), list, filter, revoke. */
export function Keys() {
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
  const shown = (keys.data?.keys ?? []).filter((key) => filter === 'all' || key.environment === filter);

  return (
    <section aria-labelledby="keys-heading" className="space-y-4">
      <h2 id="keys-heading" className="text-lg font-semibold">
        API keys
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
          aria-label="Key name"
          placeholder="Key name"
          required
          maxLength={200}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <select
          aria-label="Key environment"
          className={selectClass}
          value={environment}
          onChange={(event) => setEnvironment(event.target.value as 'prod' | 'dev')}
        >
          <option value="dev">dev</option>
          <option value="prod">prod</option>
        </select>
        <button type="submit" className={buttonClass} disabled={create.isPending}>
          Create key
        </button>
      </form>
      <ErrorBox error={create.error ?? revoke.error ?? keys.error} />
      {created && (
        <div role="status" className="rounded border border-green-400 bg-green-50 p-3 text-sm dark:bg-green-950">
          <p className="mb-1">
            New {created.record.environment} key “{created.record.name}”. Copy it now; it will not be shown again:
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
            {copied ? 'Copied' : 'Copy key'}
          </button>{' '}
          <button type="button" className={secondaryButtonClass} onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <select
          aria-label="Show keys of"
          className={selectClass}
          value={filter}
          onChange={(event) => setFilter(event.target.value as 'all' | 'prod' | 'dev')}
        >
          <option value="all">prod and dev</option>
          <option value="prod">prod only</option>
          <option value="dev">dev only</option>
        </select>
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={showRevoked} onChange={(event) => setShowRevoked(event.target.checked)} />
          Show revoked keys
        </label>
      </div>
      <AdminTable
        columns={['Name', 'Environment', 'Prefix', 'Scopes', 'Made by', 'Created', 'Status', { hidden: 'Actions' }]}
      >
        <tbody>
          {keys.data && shown.length === 0 && (
            <tr>
              <td colSpan={8} className="text-slate-500">
                No keys.
              </td>
            </tr>
          )}
          {shown.map((key) => (
            <tr key={key.id} className={key.revokedAt ? 'text-slate-400' : undefined}>
              <td>{key.name}</td>
              <td>{key.environment}</td>
              <td>
                <code>{key.prefix}</code>
              </td>
              <td>{key.admin ? `admin, ${key.scopes.join(', ')}` : key.scopes.join(', ')}</td>
              <td>{key.userId ? 'a user (/api/keys)' : 'an admin'}</td>
              <td>{new Date(key.createdAt).toLocaleString('en-GB')}</td>
              <td>{key.revokedAt ? `revoked ${new Date(key.revokedAt).toLocaleString('en-GB')}` : 'active'}</td>
              <td className="whitespace-nowrap">
                {!key.revokedAt &&
                  (confirming === key.id ? (
                    <>
                      <button
                        type="button"
                        className="text-red-700 underline dark:text-red-400"
                        aria-label={`Confirm revoking ${key.name}`}
                        disabled={revoke.isPending}
                        onClick={() => revoke.mutate(key.id)}
                      >
                        Really revoke
                      </button>{' '}
                      <button type="button" className="underline" onClick={() => setConfirming(null)}>
                        Keep
                      </button>
                    </>
                  ) : (
                    <button
                      type="button"
                      className="underline"
                      aria-label={`Revoke ${key.name}`}
                      onClick={() => setConfirming(key.id)}
                    >
                      Revoke
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </AdminTable>
    </section>
  );
}
