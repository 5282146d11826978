import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorBox, secondaryButtonClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, useTranslation } from '../../lib/i18n';
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
  const { t } = useTranslation();
  const detail = useQuery({
    queryKey: ['admin-projects', id],
    queryFn: () => api<AdminProjectDetail>(`/v1/admin/projects/${encodeURIComponent(id)}`),
  });
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data) return <p role="status">{t('common.loading')}</p>;
  return (
    <div className="space-y-2 p-2">
      <h3 className="font-medium">{t('admin.projects.membersOf', { name: detail.data.project.name })}</h3>
      <ul className="text-sm">
        {detail.data.members.map((member) => (
          <li key={member.userId}>
            {member.name} ({member.email}): {t(`projects.roles.${member.role}`)}
          </li>
        ))}
      </ul>
      {detail.data.invitations.length > 0 && (
        <>
          <h3 className="font-medium">{t('admin.projects.openInvitations')}</h3>
          <ul className="text-sm">
            {detail.data.invitations.map((invitation) => (
              <li key={invitation.id}>
                {t('projects.invitedAs', { email: invitation.email, role: t(`projects.roles.${invitation.role}`) })} (
                {t(`admin.projects.invitationStates.${invitation.state}`)})
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
  const { t } = useTranslation();
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
        {t('admin.projects.title')}
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {projects.data ? `${t('admin.projects.count', { count: projects.data.total })} ` : ''}
        {t('admin.projects.intro')}
      </p>
      <ErrorBox error={projects.error ?? remove.error} />
      <AdminTable
        columns={[
          t('admin.projects.project'),
          t('admin.projects.owner'),
          t('admin.projects.members'),
          t('admin.projects.created'),
          { hidden: t('common.actions') },
        ]}
      >
        <tbody>
          {projects.data?.projects.map((project) => (
            <tr key={project.id}>
              <td>{project.name}</td>
              <td>
                {project.ownerName} <span className="text-slate-500">{project.ownerEmail}</span>
              </td>
              <td>{project.memberCount}</td>
              <td>{formatDateTime(project.createdAt, { dateStyle: 'medium' })}</td>
              <td className="whitespace-nowrap">
                <button
                  type="button"
                  className={secondaryButtonClass}
                  aria-expanded={open === project.id}
                  onClick={() => setOpen(open === project.id ? null : project.id)}
                >
                  {t('admin.projects.members')}
                </button>{' '}
                <button
                  type="button"
                  className={secondaryButtonClass}
                  disabled={remove.isPending}
                  onClick={() => {
                    if (window.confirm(t('admin.projects.confirmDelete', { name: project.name })))
                      remove.mutate(project.id);
                  }}
                >
                  {t('admin.projects.delete')}
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
