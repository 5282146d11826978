import { randomUUID } from 'node:crypto';
import { createTemplateRepository, type PromptTemplateRow } from '@switchyard/db';
import { notFound, type Owner, type Page } from '../edge/owner';

export async function requireTemplate(owner: Owner, id: string): Promise<PromptTemplateRow> {
  const row = await createTemplateRepository(owner.db).findForUser(id, owner.userId);
  if (!row) throw notFound('template');
  return row;
}

export async function createTemplate(
  owner: Owner,
  fields: { name: string; body: string; description?: string | null },
): Promise<PromptTemplateRow> {
  return createTemplateRepository(owner.db).create({
    id: `tpl_${randomUUID().replaceAll('-', '')}`,
    userId: owner.userId,
    name: fields.name,
    body: fields.body,
    description: fields.description ?? null,
  });
}

export const listTemplates = (owner: Owner, page: Page) =>
  createTemplateRepository(owner.db).listForUser(owner.userId, page);

export async function updateTemplate(
  owner: Owner,
  id: string,
  fields: { name?: string; body?: string; description?: string | null },
): Promise<PromptTemplateRow> {
  const row = await createTemplateRepository(owner.db).updateForUser(id, owner.userId, fields);
  if (!row) throw notFound('template');
  return row;
}

export async function deleteTemplate(owner: Owner, id: string): Promise<void> {
  if (!(await createTemplateRepository(owner.db).deleteForUser(id, owner.userId))) throw notFound('template');
}
