import type { PublicUser as User, UserList } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorBox, selectClass } from '../../components/ui';
import { api, type Me } from '../../lib/api';
import { AdminTable } from './AdminTable';

/** Every account and its role; a change applies to that user's sessions on their next request. */
export function Users() {
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
        Users and roles
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Admins can open this console and use the admin API. The last admin cannot be demoted.
      </p>
      <ErrorBox error={users.error ?? setRole.error} />
      {setRole.isSuccess && (
        <p role="status" className="text-sm text-green-700 dark:text-green-400">
          {setRole.data.email} is now {setRole.data.role === 'admin' ? 'an admin' : 'a user'}.
        </p>
      )}
      <AdminTable columns={['Email', 'Name', 'Verified', 'Joined', 'Role']}>
        <tbody>
          {users.data?.users.map((user) => (
            <tr key={user.id}>
              <td>
                {user.email}
                {me?.id === user.id && ' (you)'}
              </td>
              <td>{user.name}</td>
              <td>{user.emailVerified ? 'yes' : 'no'}</td>
              <td>{new Date(user.createdAt).toLocaleDateString('en-GB')}</td>
              <td>
                <select
                  aria-label={`Role of ${user.email}`}
                  className={selectClass}
                  value={user.role}
                  disabled={setRole.isPending}
                  onChange={(event) => {
                    const role = event.target.value;
                    // Demoting yourself locks you out of this console at once; make sure it is meant.
                    if (
                      me?.id === user.id &&
                      role !== 'admin' &&
                      !window.confirm('Remove your own admin role? You will lose access to this console.')
                    ) {
                      return;
                    }
                    setRole.mutate({ id: user.id, role });
                  }}
                >
                  <option value="user">user</option>
                  <option value="admin">admin</option>
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </AdminTable>
    </section>
  );
}
