import { randomUUID } from 'node:crypto';
import { type PromptTemplateRow, promptTemplates } from '@switchyard/db';
import { and, desc, eq } from 'drizzle-orm';
import { notFound, type Owner, type Page } from '../edge/owner';

export async function requireTemplate(owner: Owner, id: string): Promise<PromptTemplateRow> {
  const [row] = await owner.db
    .select()
    .from(promptTemplates)
    .where(and(eq(promptTemplates.id, id), eq(promptTemplates.userId, owner.userId)));
  if (!row) throw notFound('template');
  return row;
}

export async function createTemplate(
  owner: Owner,
  fields: { name: string; body: string; description?: string | null },
): Promise<PromptTemplateRow> {
  const [row] = await owner.db
    .insert(promptTemplates)
    .values({
      id: `tpl_${randomUUID().replaceAll('-', '')}`,
      userId: owner.userId,
      name: fields.name,
      body: fields.body,
      description: fields.description ?? null,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export const listTemplates = (owner: Owner, page: Page) =>
  owner.db
    .select()
    .from(promptTemplates)
    .where(eq(promptTemplates.userId, owner.userId))
    .orderBy(desc(promptTemplates.updatedAt), desc(promptTemplates.id))
    .limit(page.limit)
    .offset(page.offset);

export async function updateTemplate(
  owner: Owner,
  id: string,
  fields: { name?: string; body?: string; description?: string | null },
): Promise<PromptTemplateRow> {
  const [row] = await owner.db
    .update(promptTemplates)
    .set({ ...fields, updatedAt: new Date() })
    .where(and(eq(promptTemplates.id, id), eq(promptTemplates.userId, owner.userId)))
    .returning();
  if (!row) throw notFound('template');
  return row;
}

export async function deleteTemplate(owner: Owner, id: string): Promise<void> {
  const deleted = await owner.db
    .delete(promptTemplates)
    .where(and(eq(promptTemplates.id, id), eq(promptTemplates.userId, owner.userId)))
    .returning({ id: promptTemplates.id });
  if (deleted.length === 0) throw notFound('template');
}
