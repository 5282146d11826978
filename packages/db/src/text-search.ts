import { type Column, ilike, or, type SQL } from 'drizzle-orm';

/** `%`, `_` and the escape itself match literally: a search for "50%" finds "50%", not everything after "50". */
const literal = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/**
 * The admin lists' `?q=`: rows where any of the columns contains the text, case-insensitively. Nothing (no
 * condition) for an absent or blank search.
 */
export function containsText(text: string | undefined, ...columns: Column[]): SQL | undefined {
  const wanted = text?.trim();
  if (!wanted) return undefined;
  const pattern = `%${literal(wanted)}%`;
  return or(...columns.map((column) => ilike(column, pattern)));
}
