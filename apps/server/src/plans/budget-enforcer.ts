import { randomUUID } from 'node:crypto';
import {
  type BudgetAmounts,
  type BudgetLimits,
  type BudgetMeter,
  budgetReached,
  type Environment,
  fromNanoDollars,
  periodWindow,
  type QuotaClock,
  SwitchyardError,
  toNanoDollars,
} from '@switchyard/core';
import type { Logger } from 'pino';
import type { ResolvedPlan } from './plan-store';

/** An admitted request's reservation; settle it once with what the request cost. */
export interface BudgetTicket {
  readonly bucket: string;
  readonly budgetSubject: string;
  readonly reservationId: string;
  readonly limits: BudgetLimits;
  readonly plan: ResolvedPlan;
  readonly environment: Environment;
  /** Who is told about soft and hard limits (the subject's user), if anyone. */
  readonly userId: string | null;
  readonly resetsAt: Date;
  readonly counterTtlMs: number;
}

export interface BudgetRequest {
  readonly plan: ResolvedPlan;
  readonly budgetSubject: string;
  readonly environment: Environment;
  readonly userId: string | null;
}

export interface BudgetNotice {
  environment: Environment;
  userId: string;
  kind: 'budget.soft-limit' | 'budget.exhausted';
  title: string;
  body: string;
  key: string;
}

export interface BudgetEnforcerDependencies {
  meter: BudgetMeter;
  clock: QuotaClock;
  logger: Logger;
  /** Tells a user about their budget (the notifications capability). */
  notify: (notice: BudgetNotice) => Promise<void>;
  /**
   * The period's spend from the usage log, for a counter this process has not seen (embedded mode after a
   * restart); null in server mode, where Redis keeps the counters.
   */
  loadSpent: ((environment: Environment, budgetSubject: string, since: Date) => Promise<BudgetAmounts>) | null;
  /** Names this process in reservations; default a random id. */
  processId?: string;
}

export interface BudgetEnforcer {
  /**
   * Null when the plan sets no budget (nothing to count); otherwise waits for room (see BudgetMeter.admit)
   * and returns the reservation, or throws SY_ERR_BUDGET_EXCEEDED with the reset time.
   */
  admit(request: BudgetRequest, signal?: AbortSignal): Promise<BudgetTicket | null>;
  /** Counts what the request cost; never throws (a failure is logged). */
  settle(ticket: BudgetTicket, usage: { tokens: number; costUsd: number }): Promise<void>;
  /** The period's spend of a subject under a plan. */
  spent(request: BudgetRequest): Promise<{ spent: BudgetAmounts; startsAt: Date; resetsAt: Date }>;
}

const reservationTtlMs = 15 * 60_000;
const dayMs = 86_400_000;
const recentCosts = 4;

/** Whether the plan sets a budget: without one, `admit` has nothing to count and answers null. */
export function planHasBudget(plan: Pick<ResolvedPlan, 'tokenBudget' | 'spendBudgetUsd'>): boolean {
  return plan.tokenBudget !== null || plan.spendBudgetUsd !== null;
}

function limitsOf(plan: ResolvedPlan): BudgetLimits {
  return {
    tokens: plan.tokenBudget,
    nanoDollars: plan.spendBudgetUsd === null ? null : toNanoDollars(plan.spendBudgetUsd),
  };
}

const describeUsd = (nano: number) => `$${fromNanoDollars(nano).toFixed(2)}`;

export function createBudgetEnforcer(dependencies: BudgetEnforcerDependencies): BudgetEnforcer {
  const { meter, clock, logger } = dependencies;
  const processId = dependencies.processId ?? randomUUID();
  /** The last few costs per subject: the estimate of its next request. */
  const recent = new Map<string, BudgetAmounts[]>();
  /** Requests waiting for this process's in-flight requests of a bucket to settle. */
  const waiters = new Map<string, Array<() => void>>();
  const seeded = new Set<string>();

  function estimateOf(subject: string): BudgetAmounts | null {
    const costs = recent.get(subject);
    if (!costs || costs.length === 0) return null;
    let tokens = 0;
    let nanoDollars = 0;
    for (const cost of costs) {
      tokens = Math.max(tokens, cost.tokens);
      nanoDollars = Math.max(nanoDollars, cost.nanoDollars);
    }
    return { tokens, nanoDollars };
  }

  function remember(subject: string, cost: BudgetAmounts): void {
    let costs = recent.get(subject);
    if (!costs) {
      if (recent.size >= 10_000) recent.clear();
      costs = [];
      recent.set(subject, costs);
    }
    costs.push(cost);
    if (costs.length > recentCosts) costs.shift();
  }

  /**
   * Until one of this process's requests of the bucket settles, or a short while passes (the
   * requests in flight may be another process's, whose settling this process does not hear).
   */
  function waitForSettle(bucket: string, signal: AbortSignal | undefined, attempt: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = waiters.get(bucket) ?? [];
      const timer = setTimeout(() => wake(), Math.min(200, 10 * 2 ** Math.min(attempt, 5)));
      const wake = () => {
        clearTimeout(timer);
        const current = waiters.get(bucket);
        const index = current?.indexOf(wake) ?? -1;
        if (current && index >= 0) current.splice(index, 1);
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        clearTimeout(timer);
        const current = waiters.get(bucket);
        const index = current?.indexOf(wake) ?? -1;
        if (current && index >= 0) current.splice(index, 1);
        reject(new SwitchyardError('SY_ERR_INTERNAL', 'The client left while waiting for its budget'));
      };
      list.push(wake);
      waiters.set(bucket, list);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Every waiter asks again: one may now fit, or all learn the budget is used up. */
  function wakeAll(bucket: string): void {
    const list = waiters.get(bucket);
    if (!list) return;
    waiters.delete(bucket);
    for (const wake of list) wake();
  }

  function windowOf(request: BudgetRequest) {
    const now = clock.now();
    const window = periodWindow(request.plan.budgetPeriod, now);
    return {
      now,
      window,
      bucket: `${request.environment}:${window.id}:${request.budgetSubject}`,
      // A day past the reset, so a late settle never meets a fresh counter.
      counterTtlMs: window.resetsAt.getTime() - now + dayMs,
    };
  }

  async function ensureSeeded(request: BudgetRequest, bucket: string, startsAt: Date, ttlMs: number) {
    if (!dependencies.loadSpent || seeded.has(bucket)) return;
    const spent = await dependencies.loadSpent(request.environment, request.budgetSubject, startsAt);
    await meter.seed(bucket, spent, ttlMs);
    if (seeded.size >= 100_000) seeded.clear();
    seeded.add(bucket);
  }

  function exceeded(request: BudgetRequest, spent: BudgetAmounts, limits: BudgetLimits, resetsAt: Date, now: number) {
    const what =
      limits.tokens !== null && spent.tokens >= limits.tokens
        ? `token budget of ${limits.tokens} tokens`
        : `spend budget of ${describeUsd(limits.nanoDollars ?? 0)}`;
    return new SwitchyardError(
      'SY_ERR_BUDGET_EXCEEDED',
      `The ${what} per ${request.plan.budgetPeriod} of plan '${request.plan.id}' is used up in ${request.environment}; it resets at ${resetsAt.toISOString()}`,
      {
        retryAfterSeconds: Math.max(1, Math.ceil((resetsAt.getTime() - now) / 1000)),
        details: { resetsAt: resetsAt.toISOString() },
      },
    );
  }

  async function tell(ticket: BudgetTicket, before: BudgetAmounts, after: BudgetAmounts): Promise<void> {
    if (ticket.userId === null) return;
    const { limits, plan } = ticket;
    const share = plan.softLimitPercent / 100;
    const crossed = (limit: number | null, from: number, to: number, at: number) =>
      limit !== null && from < limit * at && to >= limit * at;
    const reset = ticket.resetsAt.toISOString();
    const describe = () =>
      [
        limits.tokens !== null ? `${after.tokens} of ${limits.tokens} tokens` : null,
        limits.nanoDollars !== null ? `${describeUsd(after.nanoDollars)} of ${describeUsd(limits.nanoDollars)}` : null,
      ]
        .filter(Boolean)
        .join(', ');
    const notices: Array<Pick<BudgetNotice, 'kind' | 'title' | 'body'>> = [];
    if (
      crossed(limits.tokens, before.tokens, after.tokens, 1) ||
      crossed(limits.nanoDollars, before.nanoDollars, after.nanoDollars, 1)
    ) {
      notices.push({
        kind: 'budget.exhausted',
        title: `Your ${plan.name} budget is used up`,
        body: `You have used ${describe()} this ${plan.budgetPeriod} in ${ticket.environment}. Requests are refused until ${reset}.`,
      });
    } else if (
      crossed(limits.tokens, before.tokens, after.tokens, share) ||
      crossed(limits.nanoDollars, before.nanoDollars, after.nanoDollars, share)
    ) {
      notices.push({
        kind: 'budget.soft-limit',
        title: `${plan.softLimitPercent}% of your ${plan.name} budget is used`,
        body: `You have used ${describe()} this ${plan.budgetPeriod} in ${ticket.environment}. The budget resets at ${reset}.`,
      });
    }
    for (const notice of notices) {
      const key = `${notice.kind}:${ticket.bucket}`;
      if (!(await meter.once(key, ticket.counterTtlMs))) continue;
      await dependencies.notify({ ...notice, environment: ticket.environment, userId: ticket.userId, key });
    }
  }

  return {
    async admit(request, signal) {
      if (!planHasBudget(request.plan)) return null;
      const limits = limitsOf(request.plan);
      for (let attempt = 0; ; attempt += 1) {
        const { now, window, bucket, counterTtlMs } = windowOf(request);
        await ensureSeeded(request, bucket, window.startsAt, counterTtlMs);
        const reservationId = `${processId}:${randomUUID()}`;
        const admission = await meter.admit({
          bucket,
          limits,
          estimate: estimateOf(request.budgetSubject),
          processId,
          reservationId,
          reservationTtlMs,
          counterTtlMs,
          now,
        });
        if (admission.outcome === 'exhausted') throw exceeded(request, admission.spent, limits, window.resetsAt, now);
        if (admission.outcome === 'admitted') {
          return {
            bucket,
            budgetSubject: request.budgetSubject,
            reservationId,
            limits,
            plan: request.plan,
            environment: request.environment,
            userId: request.userId,
            resetsAt: window.resetsAt,
            counterTtlMs,
          };
        }
        await waitForSettle(bucket, signal, attempt);
      }
    },

    async settle(ticket, usage) {
      const actual = { tokens: Math.max(0, Math.round(usage.tokens)), nanoDollars: toNanoDollars(usage.costUsd) };
      try {
        const after = await meter.settle(ticket.bucket, ticket.reservationId, actual, ticket.counterTtlMs);
        remember(ticket.budgetSubject, actual);
        const before = { tokens: after.tokens - actual.tokens, nanoDollars: after.nanoDollars - actual.nanoDollars };
        if (budgetReached(after, ticket.limits) || actual.tokens > 0 || actual.nanoDollars > 0) {
          await tell(ticket, before, after);
        }
      } catch (error) {
        logger.warn({ err: error, bucket: ticket.bucket }, 'settling a budget reservation failed');
      } finally {
        wakeAll(ticket.bucket);
      }
    },

    async spent(request) {
      const { window, bucket, counterTtlMs } = windowOf(request);
      await ensureSeeded(request, bucket, window.startsAt, counterTtlMs);
      const spent = await meter.read(bucket);
      return { spent, startsAt: window.startsAt, resetsAt: window.resetsAt };
    },
  };
}
