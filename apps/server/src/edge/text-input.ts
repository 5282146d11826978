import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';

/**
 * U+0000 and an unpaired UTF-16 surrogate: PostgreSQL stores neither (text refuses NUL, UTF-8 has no
 * encoding for a lone surrogate, jsonb refuses `\u0000`), and no language model wants them.
 * `isWellFormed` (ES2024, Node 20) is ~30× faster than a Unicode regex on a 1 KB string.
 */
function isUnstorable(text: string): boolean {
  return text.includes('\u0000') || !(text as string & { isWellFormed(): boolean }).isWellFormed();
}

const maxDepth = 64;

export interface TextProblem {
  /** Where, as validation errors name it: `body.messages.0.content`, `params.id`, `query.folder`. */
  field: string;
  character: 'nul' | 'surrogate';
}

function characterOf(text: string): TextProblem['character'] {
  return text.includes('\u0000') ? 'nul' : 'surrogate';
}

/** The path (innermost first) to the first unstorable string; built only when one is found. */
interface Found {
  path: string[];
  character: TextProblem['character'];
  inKey: boolean;
}

function search(value: unknown, depth: number): Found | undefined {
  if (typeof value === 'string') {
    return isUnstorable(value) ? { path: [], character: characterOf(value), inKey: false } : undefined;
  }
  if (value === null || typeof value !== 'object' || depth > maxDepth) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = search(value[index], depth + 1);
      if (found) {
        found.path.push(String(index));
        return found;
      }
    }
    return undefined;
  }
  // Parsed JSON, query strings and params (whose objects have a null-prototype prototype); bytes and
  // streams are not text.
  if (ArrayBuffer.isView(value) || typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    // The key itself is not echoed: it is user content, and this message reaches the log.
    if (isUnstorable(key)) return { path: [], character: characterOf(key), inKey: true };
    const found = search((value as Record<string, unknown>)[key], depth + 1);
    if (found) {
      found.path.push(key);
      return found;
    }
  }
  return undefined;
}

/** The first string (or object key) holding a character no database column can take. */
export function findUnstorableText(value: unknown, field: string): TextProblem | undefined {
  const found = search(value, 0);
  if (!found) return undefined;
  const where = [field, ...found.path.reverse()].join('.');
  return { field: found.inKey ? `a key of ${where}` : where, character: found.character };
}

export function unstorableTextError(problem: TextProblem): SwitchyardError {
  const what = problem.character === 'nul' ? 'a NUL character (U+0000)' : 'an unpaired UTF-16 surrogate';
  return new SwitchyardError('SY_ERR_INVALID_TEXT', `${problem.field} contains ${what}, which is not valid text`, {
    details: { param: problem.field },
  });
}

/**
 * Refuses, before validation and before any handler, a request whose path parameters, query or JSON body
 * hold text that cannot be stored or sent on: a clear 400 naming the field instead of a database error.
 */
export function registerTextInputCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const problem =
      findUnstorableText(request.params, 'params') ??
      findUnstorableText(request.query, 'query') ??
      findUnstorableText(request.body, 'body');
    if (problem) throw unstorableTextError(problem);
  });
}
