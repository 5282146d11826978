import { and, eq, isNull, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Whose rows a list reads: a user's own (personal, not shared in any project) or a project's (everything
 * shared in it, whoever made it). The caller has checked the user may read the project.
 */
export type OwnerScope = { kind: 'personal'; userId: string } | { kind: 'project'; projectId: string };

export function scopeCondition(columns: { userId: PgColumn; projectId: PgColumn }, scope: OwnerScope): SQL {
  return scope.kind === 'personal'
    ? (and(eq(columns.userId, scope.userId), isNull(columns.projectId)) as SQL)
    : eq(columns.projectId, scope.projectId);
}
