import { SwitchyardError } from '@switchyard/core';

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The variable names a template uses, in first-seen order. */
export function templateVariables(body: string): string[] {
  return [...new Set([...body.matchAll(placeholder)].map((match) => match[1] ?? ''))];
}

/** Fills every `{{name}}`; a missing variable is an error, never an empty string the user did not mean. */
export function renderTemplate(body: string, variables: Record<string, string>): string {
  const missing = templateVariables(body).filter((name) => typeof variables[name] !== 'string');
  if (missing.length > 0) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `Missing template variables: ${missing.join(', ')}`, {
      details: { missing },
    });
  }
  return body.replace(placeholder, (_whole, name: string) => variables[name] ?? '');
}
