import { createHash } from 'node:crypto';

export {
  createIdempotencyRepository,
  type IdempotencyBeginResult,
  type IdempotencyRepository,
  type IdempotencyRepositoryOptions,
  type StoredResponse,
} from '@switchyard/db';

/**
 * The fingerprint an `Idempotency-Key` is bound to: method, path and the body
 * with object keys sorted, so a client that re-serializes the same JSON in
 * another key order still matches.
 */
export function idempotencyRequestHash(request: { method: string; path: string; body: unknown }): string {
  return createHash('sha256')
    .update(`${request.method.toUpperCase()} ${request.path}\n`)
    .update(canonicalJson(request.body))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, (_key, nested: unknown) => {
    if (nested === null || typeof nested !== 'object' || Array.isArray(nested)) return nested;
    return Object.fromEntries(Object.entries(nested).sort(([left], [right]) => (left < right ? -1 : 1)));
  });
}
