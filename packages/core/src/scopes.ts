import { SwitchyardError } from './errors';

/**
 * What an API key may be used for. A route names the scope it needs; a key
 * without it gets 403. `admin` belongs only to admin keys.
 */
export const keyScopes = ['chat', 'images', 'messages', 'apps', 'admin'] as const;
export type KeyScope = (typeof keyScopes)[number];

/** A key created without a scope list may do everything but administration. */
export const defaultKeyScopes: readonly KeyScope[] = Object.freeze(['chat', 'images', 'messages', 'apps']);

export function isKeyScope(value: unknown): value is KeyScope {
  return typeof value === 'string' && (keyScopes as readonly string[]).includes(value);
}

/** Parses `chat,images` (CLI) into a de-duplicated list in catalogue order; throws on an unknown name. */
export function parseKeyScopes(text: string): KeyScope[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  for (const name of names) {
    if (!isKeyScope(name)) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown scope '${name}' (known: ${keyScopes.join(', ')})`);
    }
  }
  return keyScopes.filter((scope) => names.includes(scope));
}
