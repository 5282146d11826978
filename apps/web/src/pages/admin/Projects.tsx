import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorBox, secondaryButtonClass } from '../../components/ui';
import { api } from '../../lib/api';
import type { ProjectInvitation, ProjectMember } from '../../lib/projects';
import { AdminTable } from './AdminTable';

interface AdminProject {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  ownerName: string;
  ownerEmail: string;
  memberCount: number;
  createdAt: string;
}

interface AdminProjectDetail {
  project: { id: string; name: string };
  members: ProjectMember[];
  invitations: ProjectInvitation[];
}

function Members({ id }: { id: string }) {
  const detail = useQuery({
    queryKey: ['admin-projects', id],
    queryFn: () => api<AdminProjectDetail>(`/v1/admin/projects/${encodeURIComponent(id)}`),
  });
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data) return <p role="status">Loading…</p>;
  return (
    <div className="space-y-2 p-2">
      <h3 className="font-medium">Members of {detail.data.project.name}</h3>
      <ul className="text-sm">
        {detail.data.members.map((member) => (
          <li key={member.userId}>
            {member.name} ({member.email}): {member.role}
          </li>
        ))}
      </ul>
      {detail.data.invitations.length > 0 && (
        <>
          <h3 className="font-medium">Open invitations</h3>
          <ul className="text-sm">
            {detail.data.invitations.map((invitation) => (
              <li key={invitation.id}>
                {invitation.email} as {invitation.role} ({invitation.state})
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** Every project with its owner and members; an admin can delete one (its keys are revoked). */
export function Projects() {
  const client = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const projects = useQuery({
    queryKey: ['admin-projects'],
    queryFn: () => api<{ projects: AdminProject[]; total: number }>('/v1/admin/projects?limit=100'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api<void>(`/v1/admin/projects/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSettled: () => client.invalidateQueries({ queryKey: ['admin-projects'] }),
  });
  return (
    <section aria-labelledby="projects-heading" className="space-y-4">
      <h2 id="projects-heading" className="text-lg font-semibold">
        Projects
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {projects.data ? `${projects.data.total} projects. ` : ''}Members share the chats, templates, files, keys and
        saved searches made in a project.
      </p>
      <ErrorBox error={projects.error ?? remove.error} />
      <AdminTable columns={['Project', 'Owner', 'Members', 'Created', '']}>
        <tbody>
          {projects.data?.projects.map((project) => (
            <tr key={project.id}>
              <td>{project.name}</td>
              <td>
                {project.ownerName} <span className="text-slate-500">{project.ownerEmail}</span>
              </td>
              <td>{project.memberCount}</td>
              <td>{new Date(project.createdAt).toLocaleDateString('en-GB')}</td>
              <td className="whitespace-nowrap">
                <button
                  type="button"
                  className={secondaryButtonClass}
                  aria-expanded={open === project.id}
                  onClick={() => setOpen(open === project.id ? null : project.id)}
                >
                  Members
                </button>{' '}
                <button
                  type="button"
                  className={secondaryButtonClass}
                  disabled={remove.isPending}
                  onClick={() => {
                    if (window.confirm(`Delete "${project.name}" with everything shared in it?`))
                      remove.mutate(project.id);
                  }}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </AdminTable>
      {open && <Members id={open} />}
    </section>
  );
}
