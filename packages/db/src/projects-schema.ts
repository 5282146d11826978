import { invitableProjectRoles, projectRoles } from '@switchyard/core';
import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './accounts-schema';

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A shared workspace (control plane: only the prod database's tables are used). Chats, templates, files,
 * API keys, apps and saved searches with its id in their `project_id` are shared with its members.
 */
export const projects = pgTable(
  'projects',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description'),
    /** Also a member with the role 'owner'; kept here so an admin list needs no join to find it. */
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (table) => [index('projects_owner_idx').on(table.ownerId)],
);

export const projectMembers = pgTable(
  'project_members',
  {
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: projectRoles }).notNull(),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.projectId, table.userId], name: 'project_members_pk' }),
    index('project_members_user_idx').on(table.userId),
    check('project_members_role_check', sql`${table.role} IN ('owner', 'admin', 'member', 'viewer')`),
  ],
);

/**
 * An invitation by email. Only the token's SHA-256 is stored; the token itself is in the emailed link.
 * At most one open invitation per project and address (accepting, declining or revoking closes it).
 */
export const projectInvitations = pgTable(
  'project_invitations',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    /** Lower-cased. */
    email: text('email').notNull(),
    role: text('role', { enum: invitableProjectRoles }).notNull(),
    tokenHash: text('token_hash').notNull().unique('project_invitations_token_hash_unique'),
    invitedBy: text('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    expiresAt: timestampColumn('expires_at').notNull(),
    /** pending | accepted | declined | revoked (an expired one stays pending and reads as expired). */
    status: text('status').notNull().default('pending'),
    closedAt: timestampColumn('closed_at'),
    acceptedBy: text('accepted_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (table) => [
    index('project_invitations_project_idx').on(table.projectId, table.createdAt),
    uniqueIndex('project_invitations_open_unique')
      .on(table.projectId, table.email)
      .where(sql`${table.status} = 'pending'`),
    check('project_invitations_role_check', sql`${table.role} IN ('admin', 'member', 'viewer')`),
    check('project_invitations_status_check', sql`${table.status} IN ('pending', 'accepted', 'declined', 'revoked')`),
  ],
);

export type ProjectRow = typeof projects.$inferSelect;
export type ProjectMemberRow = typeof projectMembers.$inferSelect;
export type ProjectInvitationRow = typeof projectInvitations.$inferSelect;
