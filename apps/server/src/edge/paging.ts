import { type PageRule, pageQueryFields, standardPage } from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';

export interface Page {
  limit: number;
  offset: number;
}

// The page rules and the `limit`/`offset` querystring schema are part of the API's shapes.
export { type PageRule, pageQueryFields as pageQuery, standardPage };

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
