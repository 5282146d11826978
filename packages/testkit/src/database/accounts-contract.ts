import {
  createKeyRepository,
  createUsersRepository,
  type SwitchyardDatabase,
  sessions,
  sqlStateOf,
  users,
} from '@switchyard/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorOf } from '../error-of';

/**
 * The account tables (better-auth's user/session/account/verification plus
 * our role) and users' keys, on every database backend. `open` returns an
 * opened, migrated database; the suite empties the tables before each test.
 */
export function describeAccountsDatabaseContract(
  backendName: string,
  open: () => Promise<SwitchyardDatabase>,
  cleanup?: () => Promise<void>,
): void {
  describe(`accounts database contract: ${backendName}`, () => {
    let database: SwitchyardDatabase;
    let counter = 0;

    beforeAll(async () => {
      database = await open();
    });

    afterAll(async () => {
      await database?.close();
      await cleanup?.();
    });

    beforeEach(async () => {
      await database.db.execute(sql`TRUNCATE users, sessions, accounts, verifications, api_keys CASCADE`);
    });

    /** A user row as better-auth writes it: its own id, a lower-cased email, role left to the default. */
    async function insertUser(email: string, createdAt = new Date()) {
      counter += 1;
      const [row] = await database.db
        .insert(users)
        .values({ id: `user${counter}`.padEnd(32, 'x'), name: email, email, createdAt, updatedAt: createdAt })
        .returning();
      if (!row) throw new Error('insert returned nothing');
      return row;
    }

    const keyFor = (name: string, userId: string | null) => ({
      name,
      keyHash: `${name}-hash`.padEnd(64, '0'),
      keyPrefix: `prod_${name.slice(0, 6)}`,
      environment: 'prod' as const,
      isAdmin: false,
      userId,
    });

    it('gives new users the role user, lists oldest first and finds by email in any case', async () => {
      const repository = createUsersRepository(database.db);
      const older = await insertUser('first@example.com', new Date(Date.UTC(2025, 0, 1)));
      const newer = await insertUser('second@example.com', new Date(Date.UTC(2025, 0, 2)));
      expect(older.role).toBe('user');
      expect(older.emailVerified).toBe(false);
      expect((await repository.list()).map((user) => user.id)).toEqual([older.id, newer.id]);
      expect((await repository.list({ limit: 1, offset: 1 })).map((user) => user.id)).toEqual([newer.id]);
      expect((await repository.findByEmail('  FIRST@example.com '))?.id).toBe(older.id);
      expect(await repository.findByEmail('missing@example.com')).toBeUndefined();
      expect(await repository.findById('missing')).toBeUndefined();
    });

    it('changes roles, counts admins, and refuses unknown roles and duplicate emails', async () => {
      const repository = createUsersRepository(database.db);
      const user = await insertUser('role@example.com');
      expect(await repository.countByRole('admin')).toBe(0);
      const promoted = await repository.setRole(user.id, 'admin');
      expect(promoted?.role).toBe('admin');
      expect(promoted?.updatedAt.getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime());
      expect(await repository.countByRole('admin')).toBe(1);
      expect(await repository.setRole('missing', 'admin')).toBeUndefined();

      const badRole = await errorOf(database.db.execute(sql`UPDATE users SET role = 'root' WHERE id = ${user.id}`));
      expect(sqlStateOf(badRole)).toBe('23514');
      const duplicate = await errorOf(insertUser('role@example.com'));
      expect(sqlStateOf(duplicate)).toBe('23505');
    });

    it("stores key scopes and owners, and lists and revokes only the owner's keys", async () => {
      const keys = createKeyRepository(database.db);
      const alice = await insertUser('alice@example.com');
      const bob = await insertUser('bob@example.com');
      const system = await keys.create(keyFor('system', null));
      expect(system.scopes).toEqual(['chat', 'images', 'messages']);
      expect(system.userId).toBeNull();
      const owned = await keys.create({ ...keyFor('owned', alice.id), scopes: ['chat'] });
      expect(owned).toMatchObject({ userId: alice.id, scopes: ['chat'] });

      expect((await keys.listForUser(alice.id)).map((key) => key.id)).toEqual([owned.id]);
      expect(await keys.listForUser(bob.id)).toEqual([]);
      expect(await keys.countActiveForUser(alice.id)).toBe(1);
      expect(await keys.revokeForUser(owned.id, bob.id)).toBeUndefined();
      expect(await keys.revokeForUser(system.id, alice.id)).toBeUndefined();
      expect((await keys.findById(owned.id))?.revokedAt).toBeNull();

      const revoked = await keys.revokeForUser(owned.id, alice.id);
      expect(revoked?.revokedAt).toBeInstanceOf(Date);
      expect(await keys.listForUser(alice.id)).toEqual([]);
      expect((await keys.listForUser(alice.id, { includeRevoked: true })).map((key) => key.id)).toEqual([owned.id]);
      expect(await keys.countActiveForUser(alice.id)).toBe(0);
    });

    it("removes a deleted user's sessions and keys with the user", async () => {
      const keys = createKeyRepository(database.db);
      const user = await insertUser('leaving@example.com');
      await keys.create(keyFor('leaving', user.id));
      await database.db.insert(sessions).values({
        id: 'session-1',
        token: 'token-1',
        userId: user.id,
        expiresAt: new Date(Date.now() + 60_000),
      });
      await database.db.delete(users).where(eq(users.id, user.id));
      expect(await keys.list({ includeRevoked: true })).toEqual([]);
      expect(await database.db.select().from(sessions)).toEqual([]);
    });
  });
}
