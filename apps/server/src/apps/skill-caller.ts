import type { SkillCaller } from '@switchyard/core';
import type { Principal } from '../edge/principal';

/** Who calls a skill, as apps see it: the principal's subject, never its credentials. */
export function skillCallerOf(principal: Principal | null, ip: string): SkillCaller {
  if (!principal || principal.kind === 'anonymous') return { kind: 'anonymous', subject: `ip:${ip}`, userId: null };
  return { kind: principal.kind, subject: principal.subject, userId: principal.userId, scopes: principal.scopes };
}
