import { SwitchyardError } from '@switchyard/core';
import Type from 'typebox';

export interface Page {
  limit: number;
  offset: number;
}

export interface PageRule {
  /** The page size when the client names none. */
  defaultLimit: number;
  /** The largest page a client may ask for. */
  maximum: number;
}

/** Chats, messages, files, templates: pages of 50, at most 100. */
export const standardPage: PageRule = { defaultLimit: 50, maximum: 100 };

/**
 * `limit` and `offset` for a list route's querystring. Every list route takes them the same
 * way: the server does not coerce query strings, so they are text here and `pageOf` reads them,
 * refusing anything but a whole number in range with one clear SY_ERR_VALIDATION.
 */
export function pageQuery(rule: PageRule = standardPage) {
  return {
    limit: Type.Optional(
      Type.String({ description: `Page size: 1 to ${rule.maximum}, default ${rule.defaultLimit}`, examples: ['20'] }),
    ),
    offset: Type.Optional(Type.String({ description: 'How many items to skip, default 0', examples: ['0'] })),
  };
}

export function pageOf(query: { limit?: string; offset?: string }, rule: PageRule = standardPage): Page {
  const read = (value: string | undefined, fallback: number, name: string) => {
    if (value === undefined || value === '') return fallback;
    if (!/^\d{1,9}$/.test(value)) throw new SwitchyardError('SY_ERR_VALIDATION', `${name} must be a whole number`);
    return Number(value);
  };
  const limit = read(query.limit, rule.defaultLimit, 'limit');
  if (limit < 1 || limit > rule.maximum) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `limit must be between 1 and ${rule.maximum}`);
  }
  return { limit, offset: read(query.offset, 0, 'offset') };
}
