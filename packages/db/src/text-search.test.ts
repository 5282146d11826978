import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { createKeyRepository } from './keys-repository';
import { createProjectsRepository } from './projects-repository';
import { users } from './schema';
import { describeOnEachDatabase } from './test-databases';
import { createUsersRepository } from './users-repository';

describeOnEachDatabase("admin lists' ?q= search", (database) => {
  beforeAll(async () => {
    const { db } = database();
    await db.execute(sql`DELETE FROM users`);
    await db.insert(users).values([
      { id: 'u_ada', name: 'Ada', email: 'Ada@Example.test' },
      { id: 'u_sale', name: 'Sale', email: '50%off@example.test' },
      { id: 'u_five', name: 'Five', email: '500ff@example.test' },
      { id: 'u_under', name: 'Under', email: 'a_b@example.test' },
      { id: 'u_axb', name: 'Axb', email: 'axb@example.test' },
    ]);
    const keys = createKeyRepository(db);
    await keys.create({
      name: 'Billing bot',
      keyHash: 'h1',
      keyPrefix: 'prod_ab12',
      environment: 'prod',
      isAdmin: false,
    });
    await keys.create({ name: 'CI', keyHash: 'h2', keyPrefix: 'dev_cd34', environment: 'dev', isAdmin: false });
    const projects = createProjectsRepository(db);
    await projects.create({ id: 'p_1', name: 'Research lab', description: null, ownerId: 'u_ada' });
    await projects.create({ id: 'p_2', name: 'Sales', description: null, ownerId: 'u_ada' });
  });

  it('finds users by part of their email, any case, with % and _ taken literally', async () => {
    const emails = async (search: string) =>
      (await createUsersRepository(database().db).list({ search })).map((user) => user.id).sort();
    expect(await emails('ada@EXAMPLE')).toEqual(['u_ada']);
    expect(await emails('50%')).toEqual(['u_sale']);
    expect(await emails('a_b')).toEqual(['u_under']);
    expect(await emails('  ')).toHaveLength(5);
  });

  it('finds keys by name or prefix, a page at a time, and projects by name with their count', async () => {
    const keys = createKeyRepository(database().db);
    expect((await keys.list({ search: 'billing' })).map((key) => key.name)).toEqual(['Billing bot']);
    expect((await keys.list({ search: 'CD34' })).map((key) => key.name)).toEqual(['CI']);
    expect(await keys.list({ search: 'x', page: { limit: 10, offset: 0 } })).toEqual([]);
    expect(await keys.list({ page: { limit: 1, offset: 1 } })).toHaveLength(1);
    const projects = createProjectsRepository(database().db);
    expect((await projects.listAll({ limit: 10, offset: 0 }, 'SALE')).map((row) => row.id)).toEqual(['p_2']);
    expect(await projects.countAll('sale')).toBe(1);
    expect(await projects.countAll()).toBe(2);
  });
});
