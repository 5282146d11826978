/** Any origin does: only the path matters, and it is resolved the way `new URL()` resolves it. */
const anyOrigin = 'http://switchyard.invalid';

export interface AuthPath {
  /** The path better-auth serves for this request: dot segments resolved, `%2e` read as a dot, no fragment. */
  path: string;
  /** Whether the request target spelled exactly that path (a query string aside). */
  canonical: boolean;
}

/**
 * The request handed to better-auth is rebuilt with `new URL()`, which
 * resolves `./`, `x/../` and `%2e/`, turns `\` into `/` and drops `#…`.
 * Limits keyed on the raw target would miss every other spelling of the
 * path that is actually served, so callers limit `path` and refuse targets
 * that are not `canonical`.
 */
export function resolveAuthPath(target: string): AuthPath {
  const path = new URL(target, anyOrigin).pathname;
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  return { path, canonical: rawPath === path };
}
