import { type InvitableProjectRole, type ProjectRole, SwitchyardError } from '@switchyard/core';
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import { users } from './accounts-schema';
import type { Db } from './client';
import { sqlStateOf, sqlStates } from './errors';
import type { PageOptions } from './page';
import { planAssignments } from './plans-schema';
import {
  type ProjectInvitationRow,
  type ProjectRow,
  projectInvitations,
  projectMembers,
  projects,
} from './projects-schema';
import { containsText } from './text-search';

/** A project as one of its members sees it: with their role and how many members it has. */
export interface MemberProject extends ProjectRow {
  role: ProjectRole;
  memberCount: number;
}

export interface ProjectMemberView {
  userId: string;
  name: string;
  email: string;
  role: ProjectRole;
  createdAt: Date;
}

/** For the admin console: every project with its owner's name and email. */
export interface AdminProjectView extends ProjectRow {
  ownerName: string;
  ownerEmail: string;
  memberCount: number;
}

export interface NewInvitation {
  id: string;
  projectId: string;
  email: string;
  role: InvitableProjectRole;
  tokenHash: string;
  invitedBy: string;
  expiresAt: Date;
}

export interface ProjectsRepository {
  /** Creates the project with its owner as the first member, in one transaction. */
  create(project: { id: string; name: string; description: string | null; ownerId: string }): Promise<ProjectRow>;
  find(id: string): Promise<ProjectRow | undefined>;
  /** The user's role in the project, or undefined when they are not a member (or there is no such project). */
  roleOf(projectId: string, userId: string): Promise<ProjectRole | undefined>;
  /** The user's projects by name. */
  listForMember(userId: string): Promise<MemberProject[]>;
  /** Every project, newest first (admin console). */
  listAll(page: PageOptions, search?: string): Promise<AdminProjectView[]>;
  /** How many projects (whose name contains `search`, when given). */
  countAll(search?: string): Promise<number>;
  update(id: string, changes: { name?: string; description?: string | null }): Promise<ProjectRow | undefined>;
  /**
   * Deletes the project (members and invitations go with it) and its plan assignment, in one transaction, so
   * no assignment is left pointing at a project that is gone.
   */
  delete(id: string): Promise<{ deleted: boolean; planAssignmentRemoved: boolean }>;
  listMembers(projectId: string): Promise<ProjectMemberView[]>;
  /** Throws SY_ERR_CONFLICT when the user is a member already. */
  addMember(projectId: string, userId: string, role: ProjectRole): Promise<void>;
  /** Undefined when the user is not a member. */
  setMemberRole(projectId: string, userId: string, role: ProjectRole): Promise<ProjectRole | undefined>;
  removeMember(projectId: string, userId: string): Promise<boolean>;
  /** The new owner must be a member; the old one stays as an admin. One transaction. */
  transferOwnership(projectId: string, fromUserId: string, toUserId: string): Promise<boolean>;
  /** Throws SY_ERR_CONFLICT when an open invitation for this address exists. */
  createInvitation(invitation: NewInvitation): Promise<ProjectInvitationRow>;
  findInvitation(id: string): Promise<ProjectInvitationRow | undefined>;
  findInvitationByTokenHash(tokenHash: string): Promise<ProjectInvitationRow | undefined>;
  /** Newest first; closed ones too when asked. */
  listInvitations(projectId: string, options?: { includeClosed?: boolean }): Promise<ProjectInvitationRow[]>;
  /** Open invitations to this address, for the invited user's own list. */
  listOpenInvitationsForEmail(email: string): Promise<ProjectInvitationRow[]>;
  /**
   * Closes a pending invitation (only a pending one: two accepts race to one winner). Accepting also adds the
   * member, in the same transaction; an accepting user who is a member already keeps their role.
   */
  closeInvitation(
    id: string,
    outcome: 'accepted' | 'declined' | 'revoked',
    options?: { acceptedBy?: string; now?: Date },
  ): Promise<ProjectInvitationRow | undefined>;
}

const conflictOnDuplicate = async <T>(work: () => Promise<T>, message: string): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    if (sqlStateOf(error) === sqlStates.uniqueViolation) {
      throw new SwitchyardError('SY_ERR_CONFLICT', message, { cause: error });
    }
    throw error;
  }
};

const memberCount = sql<number>`(SELECT count(*)::int FROM ${projectMembers} WHERE ${projectMembers.projectId} = ${projects.id})`;

export function createProjectsRepository(db: Db): ProjectsRepository {
  return {
    create(project) {
      return db.transaction(async (transaction) => {
        const [row] = await transaction.insert(projects).values(project).returning();
        if (!row) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting a project returned no row');
        await transaction.insert(projectMembers).values({ projectId: row.id, userId: project.ownerId, role: 'owner' });
        return row;
      });
    },

    async find(id) {
      const [row] = await db.select().from(projects).where(eq(projects.id, id));
      return row;
    },

    async roleOf(projectId, userId) {
      const [row] = await db
        .select({ role: projectMembers.role })
        .from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
      return row?.role;
    },

    async listForMember(userId) {
      const rows = await db
        .select({ project: projects, role: projectMembers.role, memberCount })
        .from(projectMembers)
        .innerJoin(projects, eq(projects.id, projectMembers.projectId))
        .where(eq(projectMembers.userId, userId))
        .orderBy(asc(projects.name), asc(projects.id));
      return rows.map(({ project, role, memberCount: members }) => ({
        ...project,
        role,
        memberCount: Number(members),
      }));
    },

    async listAll(page, search) {
      const rows = await db
        .select({ project: projects, ownerName: users.name, ownerEmail: users.email, memberCount })
        .from(projects)
        .innerJoin(users, eq(users.id, projects.ownerId))
        .where(containsText(search, projects.name))
        .orderBy(desc(projects.createdAt), asc(projects.id))
        .limit(page.limit)
        .offset(page.offset);
      return rows.map(({ project, ownerName, ownerEmail, memberCount: members }) => ({
        ...project,
        ownerName,
        ownerEmail,
        memberCount: Number(members),
      }));
    },

    async countAll(search) {
      const [row] = await db.select({ total: count() }).from(projects).where(containsText(search, projects.name));
      return Number(row?.total ?? 0);
    },

    async update(id, changes) {
      const [row] = await db
        .update(projects)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(projects.id, id))
        .returning();
      return row;
    },

    delete(id) {
      return db.transaction(async (transaction) => {
        const assignments = await transaction
          .delete(planAssignments)
          .where(and(eq(planAssignments.subjectType, 'project'), eq(planAssignments.subjectId, id)))
          .returning({ subjectId: planAssignments.subjectId });
        const deleted = await transaction.delete(projects).where(eq(projects.id, id)).returning({ id: projects.id });
        return { deleted: deleted.length > 0, planAssignmentRemoved: assignments.length > 0 };
      });
    },

    listMembers(projectId) {
      return db
        .select({
          userId: projectMembers.userId,
          name: users.name,
          email: users.email,
          role: projectMembers.role,
          createdAt: projectMembers.createdAt,
        })
        .from(projectMembers)
        .innerJoin(users, eq(users.id, projectMembers.userId))
        .where(eq(projectMembers.projectId, projectId))
        .orderBy(
          sql`CASE ${projectMembers.role} WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END`,
          asc(users.name),
          asc(users.id),
        );
    },

    async addMember(projectId, userId, role) {
      await conflictOnDuplicate(
        () => db.insert(projectMembers).values({ projectId, userId, role }),
        'That user is a member of the project already',
      );
    },

    async setMemberRole(projectId, userId, role) {
      const [row] = await db
        .update(projectMembers)
        .set({ role })
        .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
        .returning({ role: projectMembers.role });
      return row?.role;
    },

    async removeMember(projectId, userId) {
      const deleted = await db
        .delete(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
        .returning({ userId: projectMembers.userId });
      return deleted.length > 0;
    },

    transferOwnership(projectId, fromUserId, toUserId) {
      return db.transaction(async (transaction) => {
        const promoted = await transaction
          .update(projectMembers)
          .set({ role: 'owner' })
          .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, toUserId)))
          .returning({ userId: projectMembers.userId });
        if (promoted.length === 0) return false;
        await transaction
          .update(projectMembers)
          .set({ role: 'admin' })
          .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, fromUserId)));
        await transaction
          .update(projects)
          .set({ ownerId: toUserId, updatedAt: new Date() })
          .where(eq(projects.id, projectId));
        return true;
      });
    },

    async createInvitation(invitation) {
      const [row] = await conflictOnDuplicate(
        () => db.insert(projectInvitations).values(invitation).returning(),
        'An open invitation for that address exists already; revoke it first to send a new one',
      );
      if (!row) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting an invitation returned no row');
      return row;
    },

    async findInvitation(id) {
      const [row] = await db.select().from(projectInvitations).where(eq(projectInvitations.id, id));
      return row;
    },

    async findInvitationByTokenHash(tokenHash) {
      const [row] = await db.select().from(projectInvitations).where(eq(projectInvitations.tokenHash, tokenHash));
      return row;
    },

    listInvitations(projectId, options = {}) {
      return db
        .select()
        .from(projectInvitations)
        .where(
          and(
            eq(projectInvitations.projectId, projectId),
            options.includeClosed ? undefined : eq(projectInvitations.status, 'pending'),
          ),
        )
        .orderBy(desc(projectInvitations.createdAt), asc(projectInvitations.id))
        .limit(500);
    },

    listOpenInvitationsForEmail(email) {
      return db
        .select()
        .from(projectInvitations)
        .where(and(eq(projectInvitations.email, email.trim().toLowerCase()), eq(projectInvitations.status, 'pending')))
        .orderBy(desc(projectInvitations.createdAt))
        .limit(100);
    },

    closeInvitation(id, outcome, options = {}) {
      return db.transaction(async (transaction) => {
        const [row] = await transaction
          .update(projectInvitations)
          .set({ status: outcome, closedAt: options.now ?? new Date(), acceptedBy: options.acceptedBy ?? null })
          .where(and(eq(projectInvitations.id, id), eq(projectInvitations.status, 'pending')))
          .returning();
        if (row && outcome === 'accepted' && options.acceptedBy) {
          await transaction
            .insert(projectMembers)
            .values({ projectId: row.projectId, userId: options.acceptedBy, role: row.role })
            .onConflictDoNothing();
        }
        return row;
      });
    },
  };
}
