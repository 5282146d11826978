import { api } from './api';

/** A prompt template as `/api/templates` returns it; `variables` are the `{{names}}` found in the body. */
export interface PromptTemplate {
  id: string;
  name: string;
  body: string;
  description: string | null;
  variables: string[];
  createdAt?: string;
  updatedAt?: string;
}

export interface NewTemplate {
  name: string;
  body: string;
  description?: string;
}

export const templatesQueryKey = ['templates'] as const;

export const listTemplates = () =>
  api<{ templates: PromptTemplate[] }>('/api/templates?limit=100').then((page) => page.templates);

export const createTemplate = (template: NewTemplate) =>
  api<PromptTemplate>('/api/templates', { method: 'POST', json: template });

export const deleteTemplate = (id: string) =>
  api<void>(`/api/templates/${encodeURIComponent(id)}`, { method: 'DELETE' });

export const renderTemplate = (id: string, variables: Record<string, string>) =>
  api<{ text: string }>(`/api/templates/${encodeURIComponent(id)}/render`, {
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
