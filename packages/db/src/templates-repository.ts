import { SwitchyardError } from '@switchyard/core';
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from './client';
import { type PromptTemplateRow, promptTemplates } from './conversations-schema';
import { type OwnerScope, scopeCondition } from './owner-scope';
import type { PageOptions } from './page';

export type NewPromptTemplate = Pick<
  typeof promptTemplates.$inferInsert,
  'id' | 'userId' | 'projectId' | 'name' | 'body' | 'description'
>;

export type PromptTemplateChanges = Partial<Pick<PromptTemplateRow, 'name' | 'body' | 'description'>>;

/** A user's prompt templates; another user's template reads as missing. */
export interface TemplateRepository {
  create(template: NewPromptTemplate): Promise<PromptTemplateRow>;
  findForUser(id: string, userId: string): Promise<PromptTemplateRow | undefined>;
  /** Most recently updated first. */
  listForUser(userId: string, page: PageOptions): Promise<PromptTemplateRow[]>;
  /** Moves updatedAt to now; undefined when the user has no such template. */
  updateForUser(id: string, userId: string, changes: PromptTemplateChanges): Promise<PromptTemplateRow | undefined>;
  /** False when the user has no such template. */
  deleteForUser(id: string, userId: string): Promise<boolean>;
  /** Whoever owns it: for a template that may be shared in a project (the caller checks access). */
  findById(id: string): Promise<PromptTemplateRow | undefined>;
  /** Most recently updated first. */
  list(scope: OwnerScope, page: PageOptions): Promise<PromptTemplateRow[]>;
  update(id: string, changes: PromptTemplateChanges): Promise<PromptTemplateRow | undefined>;
  delete(id: string): Promise<boolean>;
  /** How many a deleted project had. */
  deleteForProject(projectId: string): Promise<number>;
}

export function createTemplateRepository(db: Db): TemplateRepository {
  const owned = (id: string, userId: string) => and(eq(promptTemplates.id, id), eq(promptTemplates.userId, userId));

  return {
    async create(template) {
      const [row] = await db.insert(promptTemplates).values(template).returning();
      if (!row) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting a prompt template returned no row');
      return row;
    },

    async findForUser(id, userId) {
      const [row] = await db.select().from(promptTemplates).where(owned(id, userId));
      return row;
    },

    listForUser: (userId, page) =>
      db
        .select()
        .from(promptTemplates)
        .where(eq(promptTemplates.userId, userId))
        .orderBy(desc(promptTemplates.updatedAt), desc(promptTemplates.id))
        .limit(page.limit)
        .offset(page.offset),

    async updateForUser(id, userId, changes) {
      const [row] = await db
        .update(promptTemplates)
        .set({ ...changes, updatedAt: new Date() })
        .where(owned(id, userId))
        .returning();
      return row;
    },

    async findById(id) {
      const [row] = await db.select().from(promptTemplates).where(eq(promptTemplates.id, id));
      return row;
    },

    list: (scope, page) =>
      db
        .select()
        .from(promptTemplates)
        .where(scopeCondition(promptTemplates, scope))
        .orderBy(desc(promptTemplates.updatedAt), desc(promptTemplates.id))
        .limit(page.limit)
        .offset(page.offset),

    async update(id, changes) {
      const [row] = await db
        .update(promptTemplates)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(promptTemplates.id, id))
        .returning();
      return row;
    },

    async delete(id) {
      const deleted = await db
        .delete(promptTemplates)
        .where(eq(promptTemplates.id, id))
        .returning({ id: promptTemplates.id });
      return deleted.length > 0;
    },

    async deleteForProject(projectId) {
      const deleted = await db
        .delete(promptTemplates)
        .where(eq(promptTemplates.projectId, projectId))
        .returning({ id: promptTemplates.id });
      return deleted.length;
    },

    async deleteForUser(id, userId) {
      const deleted = await db.delete(promptTemplates).where(owned(id, userId)).returning({ id: promptTemplates.id });
      return deleted.length > 0;
    },
  };
}
