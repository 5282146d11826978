import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  type InvitableProjectRole,
  mayManageMember,
  type ProjectAction,
  type ProjectRole,
  projectActionAllowed,
  SwitchyardError,
} from '@switchyard/core';
import {
  createConversationRepository,
  createFileRepository,
  createProjectsRepository,
  createTemplateRepository,
  createUsersRepository,
  type MemberProject,
  type ProjectInvitationRow,
  type ProjectMemberView,
  type ProjectRow,
} from '@switchyard/db';
import type { ObjectStore } from '@switchyard/storage';
import type { Logger } from 'pino';
import type { Mailer } from '../accounts/mailer';
import type { AppAdmin } from '../apps/app-admin';
import type { Databases } from '../infrastructure/databases';
import type { KeyService } from '../keys/key-service';
import type { PlanService } from '../plans/plan-service';
import type { SavedSearches } from '../searches/saved-searches';
import { type Actor, requireMembership } from './project-access';

export interface ProjectServiceDependencies {
  databases: Databases;
  keys: Pick<KeyService, 'revokeForProject'>;
  searches: Pick<SavedSearches, 'deleteForProject'>;
  storage: Pick<ObjectStore, 'delete'>;
  plans: Pick<PlanService, 'assignmentsChanged'>;
  apps: Pick<AppAdmin, 'deleteForProject'>;
  mailer: Pick<Mailer, 'sendProjectInvitation'>;
  /** Where the web app is reached: invitation links point there. */
  siteOrigin: () => string;
  invitationTtlHours: number;
  maxOwnedProjects: number;
  logger: Logger;
  now?: () => Date;
}

export type InvitationState = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';

/** An invitation as its project's admins see it (never the token). */
export interface InvitationView {
  id: string;
  projectId: string;
  email: string;
  role: InvitableProjectRole;
  state: InvitationState;
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  closedAt: Date | null;
}

/** What the holder of an invitation link sees before accepting. */
export interface InvitationPreview {
  projectId: string;
  projectName: string;
  inviterName: string | null;
  email: string;
  role: InvitableProjectRole;
  state: InvitationState;
  expiresAt: Date;
}

export interface ProjectDetail extends ProjectRow {
  role: ProjectRole;
}

const notFound = (what: string) => new SwitchyardError('SY_ERR_NOT_FOUND', `No such ${what}`);
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newProjectId = () => `proj_${randomUUID().replaceAll('-', '')}`;
const newInvitationId = () => `inv_${randomUUID().replaceAll('-', '')}`;
/** How many chats, files, templates a project deletion removes per round (large projects take several). */
const deletionBatch = 500;

function forbidden(role: ProjectRole, action: ProjectAction): SwitchyardError {
  const wording: Record<ProjectAction, string> = {
    read: 'see the project',
    update: 'change the project',
    manage_members: 'manage members and invitations',
    delete: 'delete the project (only its owner can)',
    transfer: 'transfer ownership (only the owner can)',
  };
  return new SwitchyardError('SY_ERR_FORBIDDEN', `Your role in this project (${role}) may not ${wording[action]}`);
}

/**
 * Projects: shared workspaces with members in roles, invitations by email and direct adds. Every method takes
 * the acting user and checks their role here; a project they are not a member of is 404, like a missing one.
 */
export function createProjectService(dependencies: ProjectServiceDependencies) {
  const { databases, logger } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const repository = createProjectsRepository(databases.prod.db);
  const users = createUsersRepository(databases.prod.db);

  async function authorize(actor: Actor, projectId: string, action: ProjectAction): Promise<ProjectRole> {
    const role = await requireMembership(actor, projectId);
    if (!projectActionAllowed(role, action)) throw forbidden(role, action);
    return role;
  }

  const stateOf = (invitation: ProjectInvitationRow): InvitationState =>
    invitation.status === 'pending' && invitation.expiresAt.getTime() <= now().getTime()
      ? 'expired'
      : (invitation.status as InvitationState);

  const viewOf = (invitation: ProjectInvitationRow): InvitationView => ({
    id: invitation.id,
    projectId: invitation.projectId,
    email: invitation.email,
    role: invitation.role,
    state: stateOf(invitation),
    invitedBy: invitation.invitedBy,
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
    closedAt: invitation.closedAt,
  });

  async function invitationByToken(token: string): Promise<ProjectInvitationRow> {
    const invitation = await repository.findInvitationByTokenHash(hashToken(token));
    if (!invitation) throw notFound('invitation');
    return invitation;
  }

  function assertOpen(invitation: ProjectInvitationRow): void {
    const state = stateOf(invitation);
    if (state === 'expired') {
      throw new SwitchyardError('SY_ERR_INVITATION_EXPIRED', 'This invitation has expired; ask for a new one');
    }
    if (state !== 'pending') throw new SwitchyardError('SY_ERR_INVITATION_CLOSED', `This invitation was ${state}`);
  }

  /** Deletes what was shared in the project from both environments' databases and the object store. */
  async function deleteContents(projectId: string): Promise<void> {
    for (const environment of ['prod', 'dev'] as const) {
      const { db } = databases[environment];
      const files = createFileRepository(db);
      for (;;) {
        const batch = await files.listObjectsOfProject(projectId, deletionBatch);
        for (const file of batch) {
          await dependencies.storage.delete(file.objectKey).catch((error: unknown) => {
            logger.warn({ err: error, fileId: file.id }, 'deleting a deleted project file object failed');
          });
          await files.delete(file.id);
        }
        if (batch.length < deletionBatch) break;
      }
      await createConversationRepository(db).deleteForProject(projectId);
      await createTemplateRepository(db).deleteForProject(projectId);
    }
    await dependencies.searches.deleteForProject(projectId);
    await dependencies.keys.revokeForProject(projectId);
    // Every process stops offering the project's apps (the rows would go with the project anyway).
    await dependencies.apps.deleteForProject(projectId);
  }

  /** The project row and its plan assignment go together; the plan caches learn of a removed assignment. */
  async function deleteProject(projectId: string): Promise<void> {
    await deleteContents(projectId);
    const { planAssignmentRemoved } = await repository.delete(projectId);
    if (planAssignmentRemoved) await dependencies.plans.assignmentsChanged();
  }

  return {
    async create(actor: Actor, input: { name: string; description?: string | null }): Promise<ProjectDetail> {
      const owned = (await repository.listForMember(actor.userId)).filter((project) => project.role === 'owner');
      if (owned.length >= dependencies.maxOwnedProjects) {
        throw new SwitchyardError(
          'SY_ERR_QUOTA_EXCEEDED',
          `You can own at most ${dependencies.maxOwnedProjects} projects; delete or transfer one first`,
        );
      }
      const project = await repository.create({
        id: newProjectId(),
        name: input.name.trim(),
        description: input.description?.trim() || null,
        ownerId: actor.userId,
      });
      logger.info({ projectId: project.id, userId: actor.userId }, 'project created');
      return { ...project, role: 'owner' };
    },

    listMine: (actor: Actor): Promise<MemberProject[]> => repository.listForMember(actor.userId),

    async get(actor: Actor, projectId: string): Promise<ProjectDetail & { memberCount: number }> {
      const role = await requireMembership(actor, projectId);
      const project = await repository.find(projectId);
      if (!project) throw notFound('project');
      const members = await repository.listMembers(projectId);
      return { ...project, role, memberCount: members.length };
    },

    async update(
      actor: Actor,
      projectId: string,
      changes: { name?: string; description?: string | null },
    ): Promise<ProjectDetail> {
      const role = await authorize(actor, projectId, 'update');
      const project = await repository.update(projectId, {
        ...(changes.name === undefined ? {} : { name: changes.name.trim() }),
        ...(changes.description === undefined ? {} : { description: changes.description?.trim() || null }),
      });
      if (!project) throw notFound('project');
      return { ...project, role };
    },

    async delete(actor: Actor, projectId: string): Promise<void> {
      await authorize(actor, projectId, 'delete');
      await deleteProject(projectId);
      logger.info({ projectId, userId: actor.userId }, 'project deleted');
    },

    /** For the admin console: any project, whoever owns it. */
    async deleteAsAdmin(projectId: string): Promise<void> {
      if (!(await repository.find(projectId))) throw notFound('project');
      await deleteProject(projectId);
      logger.info({ projectId }, 'project deleted by an admin');
    },

    async transfer(actor: Actor, projectId: string, toUserId: string): Promise<ProjectMemberView[]> {
      await authorize(actor, projectId, 'transfer');
      if (toUserId === actor.userId) throw new SwitchyardError('SY_ERR_VALIDATION', 'You own this project already');
      if (!(await repository.transferOwnership(projectId, actor.userId, toUserId))) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'Ownership can only go to a member of the project');
      }
      logger.info({ projectId, from: actor.userId, to: toUserId }, 'project ownership transferred');
      return repository.listMembers(projectId);
    },

    async listMembers(actor: Actor, projectId: string): Promise<ProjectMemberView[]> {
      await requireMembership(actor, projectId);
      return repository.listMembers(projectId);
    },

    /** Direct add of a user who has an account (by email); others get an invitation instead. */
    async addMember(
      actor: Actor,
      projectId: string,
      input: { email: string; role: InvitableProjectRole },
    ): Promise<ProjectMemberView[]> {
      await authorize(actor, projectId, 'manage_members');
      const user = await users.findByEmail(input.email);
      if (!user) {
        throw new SwitchyardError(
          'SY_ERR_NOT_FOUND',
          'No account has that email address; send an invitation instead (POST .../invitations)',
        );
      }
      await repository.addMember(projectId, user.id, input.role);
      logger.info({ projectId, userId: user.id, by: actor.userId, role: input.role }, 'project member added');
      return repository.listMembers(projectId);
    },

    async setMemberRole(
      actor: Actor,
      projectId: string,
      userId: string,
      role: InvitableProjectRole,
    ): Promise<ProjectMemberView[]> {
      const actorRole = await authorize(actor, projectId, 'manage_members');
      const current = await repository.roleOf(projectId, userId);
      if (!current) throw notFound('member');
      if (!mayManageMember(actorRole, current)) {
        throw new SwitchyardError('SY_ERR_FORBIDDEN', "The owner's role changes only by transferring ownership");
      }
      await repository.setMemberRole(projectId, userId, role);
      // A viewer creates nothing, so keys made in the project as a member stop working.
      if (role === 'viewer') await dependencies.keys.revokeForProject(projectId, { userId });
      return repository.listMembers(projectId);
    },

    /** An admin removes a member, or any member but the owner leaves. Their project keys are revoked. */
    async removeMember(actor: Actor, projectId: string, userId: string): Promise<void> {
      const actorRole = await requireMembership(actor, projectId);
      const current = await repository.roleOf(projectId, userId);
      if (!current) throw notFound('member');
      if (userId === actor.userId) {
        if (current === 'owner') {
          throw new SwitchyardError('SY_ERR_CONFLICT', 'The owner cannot leave; transfer ownership first');
        }
      } else {
        if (!projectActionAllowed(actorRole, 'manage_members')) throw forbidden(actorRole, 'manage_members');
        if (!mayManageMember(actorRole, current)) {
          throw new SwitchyardError('SY_ERR_FORBIDDEN', 'The owner cannot be removed; they can transfer ownership');
        }
      }
      await repository.removeMember(projectId, userId);
      await dependencies.keys.revokeForProject(projectId, { userId });
      logger.info({ projectId, userId, by: actor.userId }, 'project member removed');
    },

    async invite(
      actor: Actor,
      projectId: string,
      input: { email: string; role: InvitableProjectRole },
    ): Promise<InvitationView> {
      await authorize(actor, projectId, 'manage_members');
      const email = input.email.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'That is not an email address');
      }
      const existing = await users.findByEmail(email);
      if (existing && (await repository.roleOf(projectId, existing.id))) {
        throw new SwitchyardError('SY_ERR_CONFLICT', 'That person is a member of the project already');
      }
      const project = await repository.find(projectId);
      if (!project) throw notFound('project');
      // An expired invitation to the same address would block a new one: close it first.
      for (const open of await repository.listInvitations(projectId)) {
        if (open.email === email && stateOf(open) === 'expired') await repository.closeInvitation(open.id, 'revoked');
      }
      const token = randomBytes(32).toString('base64url');
      const created = now();
      const invitation = await repository.createInvitation({
        id: newInvitationId(),
        projectId,
        email,
        role: input.role,
        tokenHash: hashToken(token),
        invitedBy: actor.userId,
        expiresAt: new Date(created.getTime() + dependencies.invitationTtlHours * 3_600_000),
      });
      const inviter = await users.findById(actor.userId);
      // Not awaited: the SMTP server's pace is not the API's; a failed send is logged by the mailer.
      void dependencies.mailer.sendProjectInvitation({
        to: email,
        projectName: project.name,
        inviterName: inviter?.name ?? 'A Switchyard user',
        role: input.role,
        url: `${dependencies.siteOrigin()}/invitations/${token}`,
        expiresAt: invitation.expiresAt,
      });
      logger.info({ projectId, invitationId: invitation.id, by: actor.userId }, 'project invitation sent');
      return viewOf(invitation);
    },

    async listInvitations(actor: Actor, projectId: string, includeClosed: boolean): Promise<InvitationView[]> {
      await authorize(actor, projectId, 'manage_members');
      return (await repository.listInvitations(projectId, { includeClosed })).map(viewOf);
    },

    async revokeInvitation(actor: Actor, projectId: string, invitationId: string): Promise<InvitationView> {
      await authorize(actor, projectId, 'manage_members');
      const invitation = await repository.findInvitation(invitationId);
      if (invitation?.projectId !== projectId) throw notFound('invitation');
      if (invitation.status !== 'pending') {
        throw new SwitchyardError('SY_ERR_INVITATION_CLOSED', `This invitation was ${invitation.status}`);
      }
      const closed = await repository.closeInvitation(invitationId, 'revoked', { now: now() });
      if (!closed) throw new SwitchyardError('SY_ERR_INVITATION_CLOSED', 'This invitation was closed meanwhile');
      return viewOf(closed);
    },

    /** Open invitations to the signed-in user's address. */
    async myInvitations(actor: Actor): Promise<InvitationPreview[]> {
      const user = await users.findById(actor.userId);
      if (!user) return [];
      const open = (await repository.listOpenInvitationsForEmail(user.email)).filter(
        (invitation) => stateOf(invitation) === 'pending',
      );
      return Promise.all(open.map((invitation) => previewOf(invitation)));
    },

    /** What the link shows: anyone holding the token may read it (the token is the secret). */
    async preview(token: string): Promise<InvitationPreview> {
      return previewOf(await invitationByToken(token));
    },

    /** The signed-in user whose email the invitation names joins with its role. */
    async accept(actor: Actor, token: string): Promise<ProjectDetail> {
      const invitation = await invitationByToken(token);
      assertOpen(invitation);
      const user = await users.findById(actor.userId);
      if (!user || invitation.email !== user.email.trim().toLowerCase()) {
        throw new SwitchyardError(
          'SY_ERR_INVITATION_EMAIL_MISMATCH',
          'This invitation is for another email address; sign in with that one to accept it',
        );
      }
      const closed = await repository.closeInvitation(invitation.id, 'accepted', {
        acceptedBy: actor.userId,
        now: now(),
      });
      if (!closed) throw new SwitchyardError('SY_ERR_INVITATION_CLOSED', 'This invitation was closed meanwhile');
      const project = await repository.find(invitation.projectId);
      const role = await repository.roleOf(invitation.projectId, actor.userId);
      if (!project || !role) throw notFound('project');
      logger.info({ projectId: project.id, userId: actor.userId }, 'project invitation accepted');
      return { ...project, role };
    },

    /** The link's holder declines (no account needed: the token is the proof). */
    async decline(token: string): Promise<void> {
      const invitation = await invitationByToken(token);
      assertOpen(invitation);
      if (!(await repository.closeInvitation(invitation.id, 'declined', { now: now() }))) {
        throw new SwitchyardError('SY_ERR_INVITATION_CLOSED', 'This invitation was closed meanwhile');
      }
    },

    /** Admin console: every project with its owner. */
    async listAll(page: { limit: number; offset: number }, search?: string) {
      return { projects: await repository.listAll(page, search), total: await repository.countAll(search) };
    },

    /** Admin console: one project with its members and open invitations. */
    async describe(projectId: string) {
      const project = await repository.find(projectId);
      if (!project) throw notFound('project');
      const [members, invitations] = await Promise.all([
        repository.listMembers(projectId),
        repository.listInvitations(projectId),
      ]);
      return { project, members, invitations: invitations.map(viewOf) };
    },
  };

  async function previewOf(invitation: ProjectInvitationRow): Promise<InvitationPreview> {
    const project = await repository.find(invitation.projectId);
    if (!project) throw notFound('invitation');
    const inviter = invitation.invitedBy ? await users.findById(invitation.invitedBy) : undefined;
    return {
      projectId: project.id,
      projectName: project.name,
      inviterName: inviter?.name ?? null,
      email: invitation.email,
      role: invitation.role,
      state: stateOf(invitation),
      expiresAt: invitation.expiresAt,
    };
  }
}

export type ProjectService = ReturnType<typeof createProjectService>;
