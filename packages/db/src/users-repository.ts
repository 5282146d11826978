import type { UserRole } from '@switchyard/core';
import { asc, count, eq, sql } from 'drizzle-orm';
import { type UserRow, users } from './accounts-schema';
import type { Db } from './client';
import { containsText } from './text-search';

export interface UsersRepository {
  /** Oldest first, so the first admin leads the list. */
  /** Oldest first; `search`: only users whose email contains it (any case). */
  list(options?: { limit?: number; offset?: number; search?: string }): Promise<UserRow[]>;
  findById(id: string): Promise<UserRow | undefined>;
  findByEmail(email: string): Promise<UserRow | undefined>;
  /** Undefined for an unknown id. */
  setRole(id: string, role: UserRole): Promise<UserRow | undefined>;
  countByRole(role: UserRole): Promise<number>;
  /**
   * Makes the user admin when nobody is admin yet and it is the oldest account; one statement,
   * so of two accounts created at once only the older can win. True when it was promoted.
   */
  promoteIfFirst(id: string): Promise<boolean>;
}

/** Reads and role changes on better-auth's user table; sign-up, sessions and passwords stay with better-auth. */
export function createUsersRepository(db: Db): UsersRepository {
  return {
    async list(options = {}) {
      return db
        .select()
        .from(users)
        .where(containsText(options.search, users.email))
        .orderBy(asc(users.createdAt), asc(users.id))
        .limit(options.limit ?? 100)
        .offset(options.offset ?? 0);
    },

    async findById(id) {
      const [found] = await db.select().from(users).where(eq(users.id, id));
      return found;
    },

    async findByEmail(email) {
      const [found] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase()));
      return found;
    },

    async setRole(id, role) {
      const [updated] = await db.update(users).set({ role, updatedAt: new Date() }).where(eq(users.id, id)).returning();
      return updated;
    },

    async promoteIfFirst(id) {
      const promoted = await db
        .update(users)
        .set({ role: 'admin', updatedAt: new Date() })
        .where(
          sql`${users.id} = ${id}
            AND NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.role} = 'admin')
            AND ${users.id} = (SELECT ${users.id} FROM ${users} ORDER BY ${users.createdAt}, ${users.id} LIMIT 1)`,
        )
        .returning({ id: users.id });
      return promoted.length > 0;
    },

    async countByRole(role) {
      const [row] = await db.select({ value: count() }).from(users).where(eq(users.role, role));
      return row?.value ?? 0;
    },
  };
}
