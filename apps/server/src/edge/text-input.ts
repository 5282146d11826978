import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';

/**
 * U+0000 and an unpaired UTF-16 surrogate: PostgreSQL stores neither (text refuses NUL, UTF-8 has no
 * encoding for a lone surrogate, jsonb refuses `\u0000`), and no language model wants them. With `u`,
 * a well-formed surrogate pair reads as one code point, so `\p{Cs}` only matches a lone half.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what this looks for
const unstorableCharacter = /[\u0000\p{Cs}]/u;

const maxDepth = 64;

export interface TextProblem {
  /** Where, as validation errors name it: `body.messages.0.content`, `params.id`, `query.folder`. */
  field: string;
  character: 'nul' | 'surrogate';
}

function describe(text: string): TextProblem['character'] {
  return text.includes('\u0000') ? 'nul' : 'surrogate';
}

/** The first string (or object key) holding a character no database column can take. */
export function findUnstorableText(value: unknown, field: string, depth = 0): TextProblem | undefined {
  if (typeof value === 'string') {
    return unstorableCharacter.test(value) ? { field, character: describe(value) } : undefined;
  }
  if (value === null || typeof value !== 'object' || depth > maxDepth) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = findUnstorableText(value[index], `${field}.${index}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  // Parsed JSON, query strings and params (whose objects have a null-prototype prototype); bytes and
  // streams are not text.
  if (ArrayBuffer.isView(value) || typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    // The key itself is not echoed: it is user content, and this message reaches the log.
    if (unstorableCharacter.test(key)) return { field: `a key of ${field}`, character: describe(key) };
    const found = findUnstorableText(inner, `${field}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
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
