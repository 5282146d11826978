/** SQLSTATE codes the repositories and their callers react to. */
export const sqlStates = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  notNullViolation: '23502',
  valueTooLong: '22001',
} as const;

/**
 * An error and its causes, outermost first (at most `depth`), and the errors an AggregateError
 * holds (a connect attempt to several addresses). Drizzle wraps driver errors in
 * DrizzleQueryError, so what the driver said sits somewhere on this chain.
 */
export function* causesOf(error: unknown, depth = 5): Generator<Error & Record<string, unknown>> {
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < depth * 4; seen += 1) {
    const current = pending.shift();
    if (!(current instanceof Error)) continue;
    yield current as Error & Record<string, unknown>;
    if (current.cause !== undefined) pending.push(current.cause);
    if (current instanceof AggregateError) pending.push(...current.errors);
  }
}

/** The SQLSTATE of a failed query, on PGlite and node-postgres alike. */
export function sqlStateOf(error: unknown): string | undefined {
  for (const current of causesOf(error)) {
    if (typeof current.code === 'string' && /^[0-9A-Z]{5}$/.test(current.code)) return current.code;
  }
  return undefined;
}

/** The constraint a failed query violated, when the driver reports it. */
export function violatedConstraintOf(error: unknown): string | undefined {
  for (const current of causesOf(error)) {
    if (typeof current.constraint === 'string') return current.constraint;
  }
  return undefined;
}

/**
 * A lazily opened database (embedded mode's dev database) could not be opened on its first use:
 * the request that needed it answers 503, and the next use tries again.
 */
export class DatabaseOpenError extends Error {
  override readonly name = 'DatabaseOpenError';
  readonly code = 'SWITCHYARD_DATABASE_OPEN_FAILED';
}

/** Node socket errors that mean the database server could not be reached or went away. */
const unreachableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** What node-postgres says when a connection ends or never comes (it sets no code on these). */
const unreachableMessages = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
];

/**
 * Whether a failed query failed because the database is unavailable (refused, cut, timed out,
 * shutting down, out of connections) rather than because of the query: callers answer 503 and
 * may retry. Looks along the cause chain (Drizzle wraps driver errors) and into AggregateError
 * (a connect attempt to several addresses).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const current of causesOf(error)) {
    if (current instanceof DatabaseOpenError) return true;
    const code = current.code;
    if (typeof code === 'string') {
      if (unreachableErrnos.has(code)) return true;
      // SQLSTATE class 08 (connection exception), server shutting down or starting, too many connections.
      if (/^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    }
    if (unreachableMessages.some((message) => current.message.includes(message))) return true;
  }
  return false;
}
