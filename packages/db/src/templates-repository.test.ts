import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { createTemplateRepository, type TemplateRepository } from './templates-repository';
import { describeOnEachDatabase } from './test-databases';

describeOnEachDatabase('template repository', (database) => {
  let repository: TemplateRepository;

  beforeAll(() => {
    repository = createTemplateRepository(database().db);
  });

  beforeEach(async () => {
    await database().db.execute(sql`TRUNCATE prompt_templates`);
  });

  const template = (id: string, userId: string) =>
    repository.create({ id, userId, name: `template ${id}`, body: 'Summarise {{text}}', description: null });

  it('finds, updates and deletes a template only for its owner', async () => {
    const created = await template('tpl_a', 'alice');
    expect(await repository.findForUser('tpl_a', 'alice')).toEqual(created);
    expect(await repository.findForUser('tpl_a', 'bob')).toBeUndefined();

    expect(await repository.updateForUser('tpl_a', 'bob', { name: 'taken' })).toBeUndefined();
    const updated = await repository.updateForUser('tpl_a', 'alice', { name: 'renamed', description: 'short' });
    expect(updated).toMatchObject({ name: 'renamed', description: 'short', body: created.body });
    expect(updated?.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());

    expect(await repository.deleteForUser('tpl_a', 'bob')).toBe(false);
    expect(await repository.deleteForUser('tpl_a', 'alice')).toBe(true);
    expect(await repository.findForUser('tpl_a', 'alice')).toBeUndefined();
    expect(await repository.deleteForUser('tpl_a', 'alice')).toBe(false);
  });

  it('lists the owner’s templates most recently updated first, one page at a time', async () => {
    for (const id of ['tpl_a', 'tpl_b', 'tpl_c']) await template(id, 'alice');
    await template('tpl_bob', 'bob');
    const at = (day: number) => new Date(Date.UTC(2025, 0, day)).toISOString();
    await database().db.execute(sql`UPDATE prompt_templates SET updated_at = ${at(2)} WHERE id = 'tpl_a'`);
    await database().db.execute(sql`UPDATE prompt_templates SET updated_at = ${at(3)} WHERE id = 'tpl_b'`);
    await database().db.execute(sql`UPDATE prompt_templates SET updated_at = ${at(1)} WHERE id = 'tpl_c'`);
    const ids = async (limit: number, offset: number) =>
      (await repository.listForUser('alice', { limit, offset })).map((row) => row.id);
    expect(await ids(10, 0)).toEqual(['tpl_b', 'tpl_a', 'tpl_c']);
    expect(await ids(1, 1)).toEqual(['tpl_a']);
    expect((await repository.listForUser('bob', { limit: 10, offset: 0 })).map((row) => row.id)).toEqual(['tpl_bob']);
  });
});
