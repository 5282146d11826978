import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass, secondaryButtonClass, selectClass } from '../components/ui';
import { api, type Me } from '../lib/api';
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

const grantable: ProjectRole[] = ['admin', 'member', 'viewer'];
const roleHelp: Record<ProjectRole, string> = {
  owner: 'everything, including deleting the project',
  admin: 'edits everything, manages members',
  member: 'creates, edits their own',
  viewer: 'reads only',
};

function ProjectDetail({ project, me }: { project: Project; me: Me }) {
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
        <span className="text-sm text-slate-500">your role: {project.role}</span>
        <button
          type="button"
          className={`${secondaryButtonClass} ml-auto`}
          onClick={() => {
            setCurrentProject(project.id);
            void client.resetQueries({ queryKey: ['chats'] });
          }}
        >
          Work in it
        </button>
        {project.role === 'owner' && (
          <button
            type="button"
            className={secondaryButtonClass}
            onClick={act(async () => {
              if (!window.confirm(`Delete "${project.name}" with every chat, template and file shared in it?`)) return;
              await deleteProject(project.id);
              setCurrentProject(null);
            })}
          >
            Delete project
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
      <h3 className="font-medium">Members</h3>
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {(members.data ?? []).map((member) => (
          <li key={member.userId} className="flex flex-wrap items-center gap-2 py-1 text-sm">
            <span className="min-w-0 flex-1 truncate">
              {member.name} <span className="text-slate-500">{member.email}</span>
            </span>
            {manages && member.role !== 'owner' ? (
              <select
                className={selectClass}
                aria-label={`Role of ${member.name}`}
                value={member.role}
                onChange={(event) =>
                  void act(() => changeMemberRole(project.id, member.userId, event.target.value as ProjectRole))()
                }
              >
                {grantable.map((each) => (
                  <option key={each} value={each}>
                    {each}
                  </option>
                ))}
              </select>
            ) : (
              <span>{member.role}</span>
            )}
            {project.role === 'owner' && member.role !== 'owner' && (
              <button
                type="button"
                className={secondaryButtonClass}
                onClick={act(async () => {
                  if (!window.confirm(`Make ${member.name} the owner? You stay as an admin.`)) return;
                  await transferOwnership(project.id, member.userId);
                }, 'Ownership transferred')}
              >
                Make owner
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
                {member.userId === me.id ? 'Leave' : 'Remove'}
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
                direct ? 'Added' : `Invitation sent to ${email}`,
              )();
            }}
          >
            <div className="min-w-0 flex-1">
              <Field label="Email">
                <input
                  className={inputClass}
                  type="email"
                  required
                  value={email}
                  onChange={(event) => setEmail(event.target.value)}
                />
              </Field>
            </div>
            <Field label="Role">
              <select
                className={selectClass}
                value={role}
                onChange={(event) => setRole(event.target.value as ProjectRole)}
              >
                {grantable.map((each) => (
                  <option key={each} value={each}>
                    {each} ({roleHelp[each]})
                  </option>
                ))}
              </select>
            </Field>
            <button type="submit" value="invite" className={buttonClass}>
              Invite by email
            </button>
            <button type="submit" value="add" className={secondaryButtonClass}>
              Add existing user
            </button>
          </form>
          <h3 className="font-medium">Invitations</h3>
          {(invitations.data ?? []).length === 0 ? (
            <p className="text-sm text-slate-500">No open invitations.</p>
          ) : (
            <ul className="text-sm">
              {(invitations.data ?? []).map((invitation) => (
                <li key={invitation.id} className="flex flex-wrap items-center gap-2 py-1">
                  <span className="min-w-0 flex-1 truncate">
                    {invitation.email} as {invitation.role}
                  </span>
                  <span>
                    {invitation.state === 'expired'
                      ? 'expired'
                      : `expires ${new Date(invitation.expiresAt).toLocaleDateString()}`}
                  </span>
                  <button
                    type="button"
                    className={secondaryButtonClass}
                    onClick={act(() => revokeInvitation(project.id, invitation.id), 'Invitation revoked')}
                  >
                    Revoke
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

/** Your projects: create one, manage members and invitations, choose the one to work in. */
export function ProjectsPage() {
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
      <h1 className="text-xl font-semibold">Projects</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Chats, templates, files, API keys and saved searches made while working in a project are shared with its
        members: viewers read, members also create and edit their own, admins edit everything and manage members.
      </p>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <div className="min-w-0 flex-1">
          <Field label="New project name">
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
          Create project
        </button>
      </form>
      <ErrorBox error={create.error ?? projects.error} />
      {projects.data?.length === 0 && <p className="text-sm">You are not in any project yet.</p>}
      {me.data &&
        (projects.data ?? []).map((project) => <ProjectDetail key={project.id} project={project} me={me.data} />)}
    </main>
  );
}
