import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass, secondaryButtonClass, selectClass } from '../components/ui';
import { api, type Me } from '../lib/api';
import { formatDateTime, useTranslation } from '../lib/i18n';
import {
  addMember,
  changeMemberRole,
  createProject,
  deleteProject,
  invite,
  listInvitations,
  listMembers,
  listProjects,
  type Project,
  type ProjectRole,
  projectKeys,
  removeMember,
  revokeInvitation,
  setCurrentProject,
  transferOwnership,
} from '../lib/projects';
import { ProjectAppsSection } from './ProjectApps';

const grantable: ProjectRole[] = ['admin', 'member', 'viewer'];

function ProjectDetail({ project, me }: { project: Project; me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const manages = project.role === 'owner' || project.role === 'admin';
  const members = useQuery({ queryKey: projectKeys.members(project.id), queryFn: () => listMembers(project.id) });
  const invitations = useQuery({
    queryKey: projectKeys.invitations(project.id),
    queryFn: () => listInvitations(project.id),
    enabled: manages,
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<ProjectRole>('member');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['projects'] });
  };
  const act = (work: () => Promise<unknown>, done?: string) => async () => {
    setError(null);
    setNotice(null);
    try {
      await work();
      if (done) setNotice(done);
      refresh();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <section
      aria-labelledby={`project-${project.id}`}
      className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-800"
    >
      <div className="flex flex-wrap items-center gap-2">
        <h2 id={`project-${project.id}`} className="text-lg font-semibold">
          {project.name}
        </h2>
        <span className="text-sm text-slate-500">
          {t('projects.yourRole', { role: t(`projects.roles.${project.role}`) })}
        </span>
        <button
          type="button"
          className={`${secondaryButtonClass} ml-auto`}
          onClick={() => {
            setCurrentProject(project.id);
            void client.resetQueries({ queryKey: ['chats'] });
          }}
        >
          {t('projects.workIn')}
        </button>
        {project.role === 'owner' && (
          <button
            type="button"
            className={secondaryButtonClass}
            onClick={act(async () => {
              if (!window.confirm(t('projects.confirmDelete', { name: project.name }))) return;
              await deleteProject(project.id);
              setCurrentProject(null);
            })}
          >
            {t('projects.delete')}
          </button>
        )}
      </div>
      {project.description && <p className="text-sm">{project.description}</p>}
      <ErrorBox error={error} />
      {notice && (
        <p role="status" className="text-sm text-green-700 dark:text-green-400">
          {notice}
        </p>
      )}
      <h3 className="font-medium">{t('projects.members')}</h3>
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {(members.data ?? []).map((member) => (
          <li key={member.userId} className="flex flex-wrap items-center gap-2 py-1 text-sm">
            <span className="min-w-0 flex-1 truncate">
              {member.name} <span className="text-slate-500">{member.email}</span>
            </span>
            {manages && member.role !== 'owner' ? (
              <select
                className={selectClass}
                aria-label={t('projects.roleOf', { name: member.name })}
                value={member.role}
                onChange={(event) =>
                  void act(() => changeMemberRole(project.id, member.userId, event.target.value as ProjectRole))()
                }
              >
                {grantable.map((each) => (
                  <option key={each} value={each}>
                    {t(`projects.roles.${each}`)}
                  </option>
                ))}
              </select>
            ) : (
              <span>{t(`projects.roles.${member.role}`)}</span>
            )}
            {project.role === 'owner' && member.role !== 'owner' && (
              <button
                type="button"
                className={secondaryButtonClass}
                onClick={act(async () => {
                  if (!window.confirm(t('projects.confirmTransfer', { name: member.name }))) return;
                  await transferOwnership(project.id, member.userId);
                }, t('projects.transferred'))}
              >
                {t('projects.makeOwner')}
              </button>
            )}
            {member.role !== 'owner' && (manages || member.userId === me.id) && (
              <button
                type="button"
                className={secondaryButtonClass}
                onClick={act(async () => {
                  await removeMember(project.id, member.userId);
                  if (member.userId === me.id) setCurrentProject(null);
                })}
              >
                {member.userId === me.id ? t('projects.leave') : t('projects.remove')}
              </button>
            )}
          </li>
        ))}
      </ul>
      {manages && (
        <>
          <form
            className="flex flex-wrap items-end gap-2"
            onSubmit={(event) => {
              event.preventDefault();
              const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
              const direct = submitter?.value === 'add';
              void act(
                async () => {
                  if (direct) await addMember(project.id, email, role);
                  else await invite(project.id, email, role);
                  setEmail('');
                },
                direct ? t('projects.added') : t('projects.invited', { email }),
              )();
            }}
          >
            <div className="min-w-0 flex-1">
              <Field label={t('projects.email')}>
                <input
                  className={inputClass}
                  type="email"
                  required
                  value={email}
                  onChange={(event) => setEmail(event.target.value)}
                />
              </Field>
            </div>
            <Field label={t('projects.role')}>
              <select
                className={selectClass}
                value={role}
                onChange={(event) => setRole(event.target.value as ProjectRole)}
              >
                {grantable.map((each) => (
                  <option key={each} value={each}>
                    {t(`projects.roles.${each}`)} ({t(`projects.roleHelp.${each}`)})
                  </option>
                ))}
              </select>
            </Field>
            <button type="submit" value="invite" className={buttonClass}>
              {t('projects.invite')}
            </button>
            <button type="submit" value="add" className={secondaryButtonClass}>
              {t('projects.addExisting')}
            </button>
          </form>
          <h3 className="font-medium">{t('projects.invitations')}</h3>
          {(invitations.data ?? []).length === 0 ? (
            <p className="text-sm text-slate-500">{t('projects.noInvitations')}</p>
          ) : (
            <ul className="text-sm">
              {(invitations.data ?? []).map((invitation) => (
                <li key={invitation.id} className="flex flex-wrap items-center gap-2 py-1">
                  <span className="min-w-0 flex-1 truncate">
                    {t('projects.invitedAs', {
                      email: invitation.email,
                      role: t(`projects.roles.${invitation.role}`),
                    })}
                  </span>
                  <span>
                    {invitation.state === 'expired'
                      ? t('projects.expired')
                      : t('projects.expires', { when: formatDateTime(invitation.expiresAt, { dateStyle: 'medium' }) })}
                  </span>
                  <button
                    type="button"
                    className={secondaryButtonClass}
                    onClick={act(() => revokeInvitation(project.id, invitation.id), t('projects.revoked'))}
                  >
                    {t('projects.revoke')}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <ProjectAppsSection project={project} />
    </section>
  );
}

/** Your projects: create one, manage members and invitations, choose the one to work in. */
export function ProjectsPage() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const me = useQuery({ queryKey: ['me'], queryFn: () => api<Me>('/api/me') });
  const projects = useQuery({ queryKey: projectKeys.mine, queryFn: listProjects });
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => createProject({ name }),
    onSuccess: () => {
      setName('');
      void client.invalidateQueries({ queryKey: ['projects'] });
    },
  });
  return (
    <main className="mx-auto max-w-3xl space-y-4 p-4">
      <h1 className="text-xl font-semibold">{t('projects.title')}</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t('projects.intro')}</p>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <div className="min-w-0 flex-1">
          <Field label={t('projects.newName')}>
            <input
              className={inputClass}
              required
              maxLength={100}
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </Field>
        </div>
        <button type="submit" className={buttonClass} disabled={create.isPending}>
          {t('projects.create')}
        </button>
      </form>
      <ErrorBox error={create.error ?? projects.error} />
      {projects.data?.length === 0 && <p className="text-sm">{t('projects.none')}</p>}
      {me.data &&
        (projects.data ?? []).map((project) => <ProjectDetail key={project.id} project={project} me={me.data} />)}
    </main>
  );
}
