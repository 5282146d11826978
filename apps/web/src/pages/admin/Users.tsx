import type { PublicUser as User, UserList } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorBox, selectClass } from '../../components/ui';
import { api, type Me } from '../../lib/api';
import { formatDateTime, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';

/** Every account and its role; a change applies to that user's sessions on their next request. */
export function Users() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const me = client.getQueryData<Me | null>(['me']);
  const users = useQuery({ queryKey: ['users'], queryFn: () => api<UserList>('/api/users?limit=1000') });
  const setRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: string }) =>
      api<User>(`/api/users/${encodeURIComponent(id)}/role`, { method: 'PUT', json: { role } }),
    onSettled: () => client.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <section aria-labelledby="users-heading" className="space-y-4">
      <h2 id="users-heading" className="text-lg font-semibold">
        {t('admin.users.title')}
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('admin.users.intro')}</p>
      <ErrorBox error={users.error ?? setRole.error} />
      {setRole.isSuccess && (
        <p role="status" className="text-sm text-green-700 dark:text-green-400">
          {t(setRole.data.role === 'admin' ? 'admin.users.nowAdmin' : 'admin.users.nowUser', {
            email: setRole.data.email,
          })}
        </p>
      )}
      <AdminTable
        columns={[
          t('admin.users.email'),
          t('admin.users.name'),
          t('admin.users.verified'),
          t('admin.users.joined'),
          t('admin.users.role'),
        ]}
      >
        <tbody>
          {users.data?.users.map((user) => (
            <tr key={user.id}>
              <td>
                {user.email}
                {me?.id === user.id && ` ${t('admin.users.you')}`}
              </td>
              <td>{user.name}</td>
              <td>{user.emailVerified ? t('admin.users.yes') : t('admin.users.no')}</td>
              <td>{formatDateTime(user.createdAt, { dateStyle: 'medium' })}</td>
              <td>
                <select
                  aria-label={t('admin.users.roleOf', { email: user.email })}
                  className={selectClass}
                  value={user.role}
                  disabled={setRole.isPending}
                  onChange={(event) => {
                    const role = event.target.value;
                    // Demoting yourself locks you out of this console at once; make sure it is meant.
                    if (me?.id === user.id && role !== 'admin' && !window.confirm(t('admin.users.confirmDemoteSelf'))) {
                      return;
                    }
                    setRole.mutate({ id: user.id, role });
                  }}
                >
                  <option value="user">{t('admin.users.roles.user')}</option>
                  <option value="admin">{t('admin.users.roles.admin')}</option>
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </AdminTable>
    </section>
  );
}
