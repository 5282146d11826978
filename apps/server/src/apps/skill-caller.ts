import type { SkillCaller, UserRole } from '@switchyard/core';
import type { Principal } from '../edge/principal';
import type { AppAudience } from './app-registry';

/** Who calls a skill, as apps see it: the principal's subject, never its credentials. */
export function skillCallerOf(principal: Principal | null, ip: string): SkillCaller {
  if (!principal || principal.kind === 'anonymous') return { kind: 'anonymous', subject: `ip:${ip}`, userId: null };
  return { kind: principal.kind, subject: principal.subject, userId: principal.userId, scopes: principal.scopes };
}

/**
 * The user role an app's `roles` are checked against: a signed-in user's current role; an admin key
 * counts as admin and any other key as user (a key made by an admin user is still a user's key); an
 * anonymous caller has none and reaches only the apps open to everyone.
 */
export function appRoleOf(principal: Principal | null): UserRole | null {
  if (!principal || principal.kind === 'anonymous') return null;
  if (principal.role) return principal.role;
  return principal.isAdmin ? 'admin' : 'user';
}

/** Who the principal's apps are offered to: its role, and a project key's project (whose apps it adds). */
export function appAudienceOf(principal: Principal | null): AppAudience {
  return { role: appRoleOf(principal), projectId: principal?.projectId ?? null };
}
