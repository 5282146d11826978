import type { CreateTemplateRequest, PromptTemplate, RenderedTemplate, TemplateList } from '@switchyard/api-schemas';
import { api } from './api';
import { currentProjectId, projectParam } from './projects';

export type { PromptTemplate };
/** What POST /api/templates accepts. */
export type NewTemplate = CreateTemplateRequest;

export const templatesQueryKey = ['templates'] as const;

/** The templates of the project the app works in, or your own. */
export const listTemplates = () =>
  api<TemplateList>(`/api/templates?limit=100${projectParam()}`).then((page) => page.templates);

/** A new template goes to the project the app works in (or is your own). */
export const createTemplate = (template: NewTemplate) => {
  const projectId = currentProjectId();
  return api<PromptTemplate>('/api/templates', {
    method: 'POST',
    json: projectId ? { ...template, projectId } : template,
  });
};

export const deleteTemplate = (id: string) =>
  api<void>(`/api/templates/${encodeURIComponent(id)}`, { method: 'DELETE' });

export const renderTemplate = (id: string, variables: Record<string, string>) =>
  api<RenderedTemplate>(`/api/templates/${encodeURIComponent(id)}/render`, {
    method: 'POST',
    json: { variables },
  }).then((result) => result.text);

/** The same `{{name}}` rule as the server, for a live preview while a template is typed. */
export function variablesOf(body: string): string[] {
  return [...new Set([...body.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((match) => match[1] ?? ''))];
}

/** The variable names in the server's "Missing template variables: a, b" message. */
export function missingVariables(message: string): string[] {
  const match = /Missing template variables?:\s*(.+)$/i.exec(message);
  return match?.[1] ? match[1].split(',').map((name) => name.trim()) : [];
}
