import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { createPlansRepository, type PlansRepository } from './plans-repository';
import { createProjectsRepository, type ProjectsRepository } from './projects-repository';
import { users } from './schema';
import { describeOnEachDatabase } from './test-databases';

describeOnEachDatabase('projects repository: deleting a project', (database) => {
  let projects: ProjectsRepository;
  let plans: PlansRepository;

  beforeAll(async () => {
    projects = createProjectsRepository(database().db);
    plans = createPlansRepository(database().db);
    await database().db.insert(users).values({ id: 'owner', name: 'Owner', email: 'owner@example.test' });
    await plans.insert({ id: 'team', name: 'Team' });
  });

  beforeEach(async () => {
    await database().db.execute(sql`DELETE FROM plan_assignments`);
    await database().db.execute(sql`DELETE FROM projects`);
    await projects.create({ id: 'proj_a', name: 'A', description: null, ownerId: 'owner' });
    await plans.assign({ subjectType: 'project', subjectId: 'proj_a', planId: 'team', source: 'admin' });
    // Another subject with the same id string must not be touched.
    await plans.assign({ subjectType: 'user', subjectId: 'proj_a', planId: 'team', source: 'admin' });
  });

  it("removes the project's plan assignment with it, and says so", async () => {
    expect(await projects.delete('proj_a')).toEqual({ deleted: true, planAssignmentRemoved: true });
    expect(await projects.find('proj_a')).toBeUndefined();
    const left = await plans.assignmentsOf('team');
    expect(left.map((row) => `${row.subjectType}:${row.subjectId}`)).toEqual(['user:proj_a']);
    expect(await projects.delete('proj_a')).toEqual({ deleted: false, planAssignmentRemoved: false });
  });

  it('keeps the assignment when deleting the project fails (one transaction)', async () => {
    await database().db.execute(sql`
      CREATE FUNCTION refuse_project_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'project deletes refused by the test'; END $$`);
    await database().db.execute(sql`
      CREATE TRIGGER refuse_project_delete BEFORE DELETE ON projects
      FOR EACH ROW EXECUTE FUNCTION refuse_project_delete()`);
    try {
      const failure = await projects.delete('proj_a').then(
        () => null,
        (error: Error) => error,
      );
      expect(String((failure?.cause as Error | undefined)?.message)).toContain('refused by the test');
    } finally {
      await database().db.execute(sql`DROP TRIGGER refuse_project_delete ON projects`);
      await database().db.execute(sql`DROP FUNCTION refuse_project_delete()`);
    }
    expect(await projects.find('proj_a')).toBeDefined();
    const left = await plans.assignmentsOf('team');
    expect(left.map((row) => `${row.subjectType}:${row.subjectId}`).sort()).toEqual(['project:proj_a', 'user:proj_a']);
  });
});
