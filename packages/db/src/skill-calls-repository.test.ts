import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { createSkillCallRepository, type SkillCallRepository } from './skill-calls-repository';
import type { SkillCallInsert } from './skill-calls-schema';
import { describeOnEachDatabase } from './test-databases';

describeOnEachDatabase('skill call repository', (database) => {
  let repository: SkillCallRepository;

  beforeAll(() => {
    repository = createSkillCallRepository(database().db);
  });

  beforeEach(async () => {
    await database().db.execute(sql`TRUNCATE skill_calls`);
  });

  const row = (overrides: Partial<SkillCallInsert>): SkillCallInsert => ({
    environment: 'dev',
    apiKeyId: 'k1',
    caller: 'key:k1',
    app: 'notes',
    skill: 'add',
    via: 'api',
    status: 'ok',
    errorCode: null,
    durationMs: 10,
    createdAt: new Date('2026-01-01T10:00:00Z'),
    ...overrides,
  });

  it('stores calls in one insert and lists them newest first, filtered', async () => {
    await repository.insertMany([
      row({ durationMs: 10 }),
      row({ durationMs: 30, status: 'error', via: 'mcp', createdAt: new Date('2026-01-01T10:01:00Z') }),
      row({ app: 'clock', skill: 'echo', via: 'chat', apiKeyId: null, caller: 'user:u1' }),
      row({ status: 'timeout', errorCode: 'SY_ERR_SKILL_TIMEOUT', createdAt: new Date('2025-12-01T00:00:00Z') }),
    ]);
    const listed = await repository.list({ app: 'notes', since: new Date('2026-01-01T00:00:00Z') });
    expect(listed.map((call) => [call.via, call.status, call.durationMs])).toEqual([
      ['mcp', 'error', 30],
      ['api', 'ok', 10],
    ]);
    expect(await repository.count({ environment: 'dev' })).toBe(4);
    expect(await repository.count({ status: 'timeout' })).toBe(1);
    expect((await repository.list({ apiKeyId: 'k1', limit: 1, offset: 1 })).map((call) => call.durationMs)).toEqual([
      10,
    ]);
  });

  it('sums calls, failures and duration percentiles per app and skill, most called first', async () => {
    await repository.insertMany([
      row({ durationMs: 10 }),
      row({ durationMs: 20 }),
      row({ durationMs: 30, status: 'unavailable', errorCode: 'SY_ERR_APP_UNAVAILABLE' }),
      row({ app: 'clock', skill: 'echo', durationMs: 5 }),
    ]);
    expect(await repository.summary({ environment: 'dev' })).toEqual([
      { app: 'notes', skill: 'add', calls: 3, failures: 1, p50Ms: 20, p95Ms: 29 },
      { app: 'clock', skill: 'echo', calls: 1, failures: 0, p50Ms: 5, p95Ms: 5 },
    ]);
    expect(await repository.summary({ app: 'nothing' })).toEqual([]);
  });
});
