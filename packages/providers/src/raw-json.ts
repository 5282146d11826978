/**
 * The upstream's own JSON text for an answer that passes through unchanged,
 * so the HTTP layer can send those bytes instead of serializing the parsed
 * object again. Kept as a non-enumerable symbol property: JSON.stringify,
 * spreads and deep equality never see it, and a copy (which might be edited)
 * does not carry it.
 */
const rawJsonKey = Symbol.for('switchyard.rawJson');

export function withRawJson<T extends object>(value: T, text: string): T {
  Object.defineProperty(value, rawJsonKey, { value: text, enumerable: false, writable: false, configurable: true });
  return value;
}

/** The upstream JSON text this value was parsed from and equals, or undefined. */
export function rawJsonOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const text = (value as Record<symbol, unknown>)[rawJsonKey];
  return typeof text === 'string' ? text : undefined;
}
