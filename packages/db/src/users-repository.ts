import type { UserRole } from '@switchyard/core';
import { asc, count, eq } from 'drizzle-orm';
import { type UserRow, users } from './accounts-schema';
import type { Db } from './client';

export interface UsersRepository {
  /** Oldest first, so the first admin leads the list. */
  list(options?: { limit?: number; offset?: number }): Promise<UserRow[]>;
  findById(id: string): Promise<UserRow | undefined>;
  findByEmail(email: string): Promise<UserRow | undefined>;
  /** Undefined for an unknown id. */
  setRole(id: string, role: UserRole): Promise<UserRow | undefined>;
  countByRole(role: UserRole): Promise<number>;
}

/** Reads and role changes on better-auth's user table; sign-up, sessions and passwords stay with better-auth. */
export function createUsersRepository(db: Db): UsersRepository {
  return {
    async list(options = {}) {
      return db
        .select()
        .from(users)
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

    async countByRole(role) {
      const [row] = await db.select({ value: count() }).from(users).where(eq(users.role, role));
      return row?.value ?? 0;
    },
  };
}
