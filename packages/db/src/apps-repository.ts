import { SwitchyardError } from '@switchyard/core';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { sqlStateOf, sqlStates } from './errors';
import { type AppRecord, apps } from './schema';

/** An app row to insert or replace (timestamps are the database's). */
export type AppRow = Omit<AppRecord, 'createdAt' | 'updatedAt'>;

/** Run-time apps and overrides in the control plane (prod database). */
export interface AppsRepository {
  list(): Promise<AppRecord[]>;
  find(id: string): Promise<AppRecord | undefined>;
  /** Throws SY_ERR_CONFLICT when a row with this id exists. */
  insert(row: AppRow): Promise<AppRecord>;
  /** Inserts or replaces the row (updated_at bumped). */
  put(row: AppRow): Promise<AppRecord>;
  /** Whether a row was deleted. */
  delete(id: string): Promise<boolean>;
  /** The apps a project's admins added, by id. */
  listForProject(projectId: string): Promise<AppRecord[]>;
  /** Removes a project's apps (its deletion); how many there were. */
  deleteForProject(projectId: string): Promise<number>;
}

export function createAppsRepository(db: Db): AppsRepository {
  return {
    list: () => db.select().from(apps).orderBy(asc(apps.id)),

    async find(id) {
      const [row] = await db.select().from(apps).where(eq(apps.id, id));
      return row;
    },

    async insert(row) {
      try {
        const [created] = await db.insert(apps).values(row).returning();
        if (!created) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting an app returned no row');
        return created;
      } catch (error) {
        if (sqlStateOf(error) === sqlStates.uniqueViolation) {
          throw new SwitchyardError('SY_ERR_CONFLICT', `An app '${row.id}' exists already`, { cause: error });
        }
        throw error;
      }
    },

    async put(row) {
      const { id: _id, ...changes } = row;
      const [stored] = await db
        .insert(apps)
        .values(row)
        .onConflictDoUpdate({ target: apps.id, set: { ...changes, updatedAt: sql`now()` } })
        .returning();
      if (!stored) throw new SwitchyardError('SY_ERR_INTERNAL', `Storing app '${row.id}' returned no row`);
      return stored;
    },

    async delete(id) {
      const deleted = await db.delete(apps).where(eq(apps.id, id)).returning({ id: apps.id });
      return deleted.length > 0;
    },

    listForProject: (projectId) =>
      db
        .select()
        .from(apps)
        .where(and(eq(apps.source, 'admin'), eq(apps.projectId, projectId)))
        .orderBy(asc(apps.id)),

    async deleteForProject(projectId) {
      const deleted = await db.delete(apps).where(eq(apps.projectId, projectId)).returning({ id: apps.id });
      return deleted.length;
    },
  };
}
