import { randomUUID } from 'node:crypto';
import { createTemplateRepository, type PromptTemplateRow } from '@switchyard/db';
import { notFound, type Owner, type Page } from '../edge/owner';
import { authorizeRow, creationProject, listScope } from '../projects/project-access';

/** The template if the owner may do `action` to it: their own, or shared in a project where their role allows. */
export async function requireTemplate(
  owner: Owner,
  id: string,
  action: 'read' | 'edit' | 'delete' = 'read',
): Promise<PromptTemplateRow> {
  const row = await createTemplateRepository(owner.db).findById(id);
  await authorizeRow(owner, row, action, 'template');
  return row as PromptTemplateRow;
}

export async function createTemplate(
  owner: Owner,
  fields: { name: string; body: string; description?: string | null; projectId?: string | null },
): Promise<PromptTemplateRow> {
  const projectId = await creationProject(owner, fields.projectId);
  return createTemplateRepository(owner.db).create({
    id: `tpl_${randomUUID().replaceAll('-', '')}`,
    userId: owner.userId,
    projectId,
    name: fields.name,
    body: fields.body,
    description: fields.description ?? null,
  });
}

/** The owner's own templates, or a project's (`projectId`, or a project key's project). */
export const listTemplates = async (owner: Owner, page: Page, projectId?: string) =>
  createTemplateRepository(owner.db).list(await listScope(owner, projectId), page);

export async function updateTemplate(
  owner: Owner,
  id: string,
  fields: { name?: string; body?: string; description?: string | null },
): Promise<PromptTemplateRow> {
  await requireTemplate(owner, id, 'edit');
  const row = await createTemplateRepository(owner.db).update(id, fields);
  if (!row) throw notFound('template');
  return row;
}

export async function deleteTemplate(owner: Owner, id: string): Promise<void> {
  await requireTemplate(owner, id, 'delete');
  if (!(await createTemplateRepository(owner.db).delete(id))) throw notFound('template');
}
