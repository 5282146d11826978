/**
 * Project roles and what each may do with the things shared in a project (chats, templates, files, API keys,
 * apps, saved searches) and with the project itself. One table, read by every route, so the permission
 * matrix test can check all of it against this statement of the rules:
 *
 * - viewer: reads everything shared in the project;
 * - member: also creates, and edits and deletes what they created;
 * - admin: also edits and deletes everything, and manages members and invitations;
 * - owner: also deletes the project and transfers its ownership.
 */
export const projectRoles = ['owner', 'admin', 'member', 'viewer'] as const;
export type ProjectRole = (typeof projectRoles)[number];

/** The roles an invitation or a direct add may give: ownership only moves by a transfer. */
export const invitableProjectRoles = ['admin', 'member', 'viewer'] as const;
export type InvitableProjectRole = (typeof invitableProjectRoles)[number];

export function isProjectRole(value: unknown): value is ProjectRole {
  return typeof value === 'string' && (projectRoles as readonly string[]).includes(value);
}

/** What is done to one shared thing. */
export type ResourceAction = 'read' | 'create' | 'edit' | 'delete';

/** What is done to the project itself. */
export type ProjectAction = 'read' | 'update' | 'manage_members' | 'delete' | 'transfer';

const strength: Record<ProjectRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export const atLeast = (role: ProjectRole, wanted: ProjectRole): boolean => strength[role] >= strength[wanted];

/** Whether a member with `role` may do `action` on a shared thing; `ownsIt`: they created it. */
export function projectAllows(role: ProjectRole, action: ResourceAction, ownsIt: boolean): boolean {
  switch (action) {
    case 'read':
      return true;
    case 'create':
      return atLeast(role, 'member');
    case 'edit':
    case 'delete':
      return atLeast(role, 'admin') || (role === 'member' && ownsIt);
  }
}

/**
 * Apps are the exception: an app runs outside Switchyard, with credentials the project gives it, so only the
 * project's admins (and owner) add, change and remove one; every member, viewers too, sees and uses it.
 */
export function projectAllowsApp(role: ProjectRole, action: ResourceAction): boolean {
  return action === 'read' || atLeast(role, 'admin');
}

/** Whether a member with `role` may do `action` to the project. */
export function projectActionAllowed(role: ProjectRole, action: ProjectAction): boolean {
  switch (action) {
    case 'read':
      return true;
    case 'update':
    case 'manage_members':
      return atLeast(role, 'admin');
    case 'delete':
    case 'transfer':
      return role === 'owner';
  }
}

/**
 * Whether `actor` may change or remove a member who has `target`'s role: an admin manages members and
 * viewers and other admins, never the owner (who leaves only by transferring ownership).
 */
export function mayManageMember(actor: ProjectRole, target: ProjectRole): boolean {
  return atLeast(actor, 'admin') && target !== 'owner';
}
