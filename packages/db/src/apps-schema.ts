import { sql } from 'drizzle-orm';
import { boolean, check, customType, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { projects } from './projects-schema';

/** Passes jsonb through untouched (both drivers parse it already; see schema.ts). */
const jsonObject = customType<{ data: Record<string, unknown>; driverData: unknown }>({
  dataType: () => 'jsonb',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => value as Record<string, unknown>,
});

/**
 * Control plane (only the prod database's table is used): apps made by admins at run time
 * (`source` 'admin', with their definition), and what admins changed of a config-file or built-in
 * app (`source` 'override': only enabled, environments and roles; no definition). An admin app with a
 * `project_id` was added by that project's admins and is offered only within the project.
 */
export const apps = pgTable(
  'apps',
  {
    id: text('id').primaryKey(),
    source: text('source').notNull(),
    /** 'mcp' or 'http' for admin apps; null for overrides. */
    type: text('type'),
    /** name, description, url, baseUrl, headers, secret, timeoutMs, maxOutputBytes (admin apps only). */
    definition: jsonObject('definition'),
    enabled: boolean('enabled').notNull().default(true),
    /** Null: the app's own default (both for admin apps, the config file's for the others). */
    environments: text('environments').array(),
    /** User roles allowed to use it; null: everyone. */
    roles: text('roles').array(),
    /** The project the app belongs to (its admins added it); null: a global app. */
    projectId: text('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    /** Who added a project's app; null for global apps. */
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    check('apps_source_check', sql`${table.source} IN ('admin', 'override')`),
    index('apps_project_id_idx').on(table.projectId),
  ],
);

export type AppRecord = typeof apps.$inferSelect;
