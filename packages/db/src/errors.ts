/** SQLSTATE codes the repositories and their callers react to. */
export const sqlStates = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  notNullViolation: '23502',
  valueTooLong: '22001',
} as const;

/**
 * The SQLSTATE of a failed query. Drizzle wraps driver errors in DrizzleQueryError,
 * so the code sits somewhere on the cause chain, on PGlite and node-postgres alike.
 */
export function sqlStateOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** The constraint a failed query violated, when the driver reports it. */
export function violatedConstraintOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const constraint = (current as { constraint?: unknown }).constraint;
    if (typeof constraint === 'string') return constraint;
    current = current.cause;
  }
  return undefined;
}
