import { type BudgetMeter, createMemoryBudgetMeter, createMemoryChangeCounter } from '@switchyard/core';
import { createRedisBudgetMeter, createRedisChangeCounter } from '@switchyard/redis';
import { createTestRedis, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type BudgetNotice, createBudgetEnforcer } from './budget-enforcer';
import { builtinDefaultPlan, createPlanStore, type ResolvedPlan } from './plan-store';

const logger = pino({ level: 'silent' });
const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] budgets in Redis: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);
const redis = hasRedis ? await createTestRedis() : null;
afterAll(() => redis?.cleanup());

/** 2026-12-03 10:00 UTC, moved by hand. */
function testClock() {
  let now = Date.UTC(2026, 11, 3, 10);
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const plan = (fields: Partial<ResolvedPlan>): ResolvedPlan => ({ ...builtinDefaultPlan, id: 'metered', ...fields });

const backends: Array<{ name: string; meter: () => BudgetMeter; clock: ReturnType<typeof testClock> }> = [];
{
  const clock = testClock();
  const shared = createMemoryBudgetMeter(clock);
  backends.push({ name: 'memory', meter: () => shared, clock });
}
if (redis) {
  const clock = testClock();
  backends.push({ name: 'redis', meter: () => createRedisBudgetMeter(redis.client, `${redis.prefix}:budget`), clock });
}

describe.each(backends)('budgets ($name)', ({ meter, clock, name }) => {
  /** `count` enforcers sharing one meter: processes of one deployment (each with its own id and Redis client). */
  function processes(count: number, notices: BudgetNotice[] = []) {
    return Array.from({ length: count }, (_, index) =>
      createBudgetEnforcer({
        meter: meter(),
        clock,
        logger,
        loadSpent: null,
        processId: `${name}-process-${index}`,
        notify: async (notice) => void notices.push(notice),
      }),
    );
  }

  it('refuses with SY_ERR_BUDGET_EXCEEDED and the reset time once the token budget is used, and resets at the period boundary', async () => {
    const [enforcer] = processes(1);
    if (!enforcer) throw new Error('no enforcer');
    const request = {
      plan: plan({ tokenBudget: 100, budgetPeriod: 'day' }),
      budgetSubject: `key:hard-${name}`,
      environment: 'prod' as const,
      userId: null,
    };
    for (let index = 0; index < 4; index += 1) {
      const ticket = await enforcer.admit(request);
      expect(ticket).not.toBeNull();
      if (ticket) await enforcer.settle(ticket, { tokens: 25, costUsd: 0 });
    }
    const refused = await enforcer.admit(request).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'SY_ERR_BUDGET_EXCEEDED', status: 402 });
    expect((refused as { details: { resetsAt: string } }).details.resetsAt).toBe('2026-12-04T00:00:00.000Z');
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBe(14 * 3600);

    clock.advance(14 * 3600_000);
    const fresh = await enforcer.admit(request);
    expect(fresh?.resetsAt.toISOString()).toBe('2026-12-05T00:00:00.000Z');
    expect((await enforcer.spent(request)).spent.tokens).toBe(0);
  });

  it('lets at most one request per process go past the budget when many race', async () => {
    const notices: BudgetNotice[] = [];
    const fleet = processes(3, notices);
    const cost = { tokens: 10, costUsd: 0.01 };
    // Spend budget of $0.10: ten requests' worth.
    const request = {
      plan: plan({ spendBudgetUsd: 0.1, softLimitPercent: 50 }),
      budgetSubject: `user:race-${name}`,
      environment: 'prod' as const,
      userId: 'user-race',
    };
    let admitted = 0;
    let refused = 0;
    // Each process serves 20 concurrent callers; a request "runs" until its turn settles it.
    await Promise.all(
      fleet.flatMap((enforcer) =>
        Array.from({ length: 20 }, async () => {
          try {
            const ticket = await enforcer.admit(request);
            if (!ticket) throw new Error('a metered plan always gives a ticket');
            admitted += 1;
            await new Promise((resolve) => setImmediate(resolve));
            await enforcer.settle(ticket, cost);
          } catch (error) {
            expect(error).toMatchObject({ code: 'SY_ERR_BUDGET_EXCEEDED' });
            refused += 1;
          }
        }),
      ),
    );
    expect(admitted + refused).toBe(60);
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 + fleet.length);
    const [first] = fleet;
    const spent = (await first?.spent(request))?.spent;
    expect(spent?.nanoDollars).toBe(admitted * 10_000_000);
    // One soft-limit and one exhausted notice per period, however many processes saw the line crossed.
    expect(notices.map((notice) => notice.kind).sort()).toEqual(['budget.exhausted', 'budget.soft-limit']);
    expect(notices[0]).toMatchObject({ userId: 'user-race', environment: 'prod' });
  });

  it('counts nothing for a plan without budgets', async () => {
    const [enforcer] = processes(1);
    expect(
      await enforcer?.admit({ plan: plan({}), budgetSubject: 'ip:1', environment: 'prod', userId: null }),
    ).toBeNull();
  });
});

describe('plan changes across processes', () => {
  it('a change committed on one process applies to the next request of another, without a notification', async () => {
    const counter = redis
      ? () => createRedisChangeCounter(redis.client, `${redis.prefix}:plans:changes`)
      : (() => {
          const shared = createMemoryChangeCounter();
          return () => shared;
        })();
    const database = {
      plans: [] as Array<Parameters<typeof import('./plan-store').resolvePlanRow>[0]>,
      assignments: [] as Array<{
        subjectType: 'user' | 'key';
        subjectId: string;
        planId: string;
        source: string;
        externalReference: string | null;
        assignedAt: Date;
      }>,
    };
    const load = async () => ({ plans: [...database.plans], assignments: [...database.assignments] });
    const processA = createPlanStore(load, logger, counter());
    const processB = createPlanStore(load, logger, counter());
    await Promise.all([processA.reload(), processB.reload()]);
    const caller = { kind: 'key' as const, keyId: 'k1', userId: null, subject: 'key:k1' };
    expect(processB.resolve(caller).plan.id).toBe('default');

    const now = new Date();
    database.plans.push({
      id: 'pro',
      name: 'Pro',
      description: '',
      isDefault: false,
      models: ['smart'],
      apps: null,
      userRequestsPerMinute: null,
      keyRequestsPerMinute: 5,
      ipRequestsPerMinute: null,
      budgetPeriod: 'month',
      tokenBudget: null,
      spendBudgetUsd: 10,
      softLimitPercent: 80,
      imagesPerDay: null,
      audioMinutesPerDay: null,
      createdAt: now,
      updatedAt: now,
    });
    database.assignments.push({
      subjectType: 'key',
      subjectId: 'k1',
      planId: 'pro',
      source: 'admin',
      externalReference: null,
      assignedAt: now,
    });
    await processA.markChanged();
    // Process B never heard a LISTEN notification; its next request checks the counter first.
    await processB.ensureFresh();
    const resolved = processB.resolve(caller);
    expect(resolved.plan.id).toBe('pro');
    expect(resolved.plan.keyRequestsPerMinute).toBe(5);
    expect(resolved.budgetSubject).toBe('key:k1');
    // A user's keys share the user's budget when the plan is the user's (or the default).
    expect(processB.resolve({ kind: 'key', keyId: 'k2', userId: 'u1', subject: 'key:k2' }).budgetSubject).toBe(
      'user:u1',
    );
  });
});
