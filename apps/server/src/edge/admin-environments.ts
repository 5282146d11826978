import { type Environment, environments, SwitchyardError } from '@switchyard/core';
import type { Principal } from './principal';

/**
 * Environment isolation for administration: a dev admin key administers dev only; prod data, and anything
 * global (users, global settings), needs a prod admin key or a signed-in admin. Every admin route asks here.
 */

/** The environments this caller may administer (none for a non-admin). */
export function administeredEnvironments(principal: Principal | null): readonly Environment[] {
  return principal?.isAdmin ? principal.adminEnvironments : [];
}

export function administers(principal: Principal | null, environment: Environment): boolean {
  return administeredEnvironments(principal).includes(environment);
}

/** SY_ERR_ENVIRONMENT_FORBIDDEN (403) unless the caller administers `environment`. */
export function assertAdministers(principal: Principal | null, environment: Environment): void {
  if (administers(principal, environment)) return;
  throw new SwitchyardError(
    'SY_ERR_ENVIRONMENT_FORBIDDEN',
    `This ${principal?.kind === 'key' ? `${principal.environment} admin key` : 'caller'} may not administer ${environment}; use a ${environment} admin key`,
  );
}

/** Users and global settings affect every environment, prod included: only an admin of all may touch them. */
export function assertAdministersAll(principal: Principal | null, what: string): void {
  const missing = environments.find((environment) => !administers(principal, environment));
  if (missing === undefined) return;
  throw new SwitchyardError(
    'SY_ERR_ENVIRONMENT_FORBIDDEN',
    `${what} affect${what.endsWith('s') ? '' : 's'} ${missing} too; this needs a prod admin key or a signed-in admin`,
  );
}

/**
 * The environment an admin read is about: the one asked for (refused when not administered), else the
 * caller's first (prod for a prod admin or a signed-in admin, dev for a dev admin key).
 */
export function administeredEnvironment(principal: Principal | null, requested: Environment | undefined): Environment {
  if (requested !== undefined) {
    assertAdministers(principal, requested);
    return requested;
  }
  const [first] = administeredEnvironments(principal);
  if (first === undefined) throw new SwitchyardError('SY_ERR_FORBIDDEN', 'This endpoint needs an admin');
  return first;
}
