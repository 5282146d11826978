import type { BudgetPeriod, ChangeCounter } from '@switchyard/core';
import type { PlanAssignmentRow, PlanRow, PlanSubjectType } from '@switchyard/db';
import type { Logger } from 'pino';
import { createSharedSnapshot } from '../infrastructure/shared-snapshot';

/** A plan as the request path reads it: sets for the allow-lists, nulls for "the settings decide". */
export interface ResolvedPlan {
  readonly id: string;
  readonly name: string;
  /** Model ids and aliases; null: every model. */
  readonly models: ReadonlySet<string> | null;
  /** App ids; null: every app. */
  readonly apps: ReadonlySet<string> | null;
  readonly userRequestsPerMinute: number | null;
  readonly keyRequestsPerMinute: number | null;
  readonly ipRequestsPerMinute: number | null;
  readonly budgetPeriod: BudgetPeriod;
  readonly tokenBudget: number | null;
  readonly spendBudgetUsd: number | null;
  readonly softLimitPercent: number;
  readonly imagesPerDay: number | null;
  readonly audioMinutesPerDay: number | null;
}

/** Who a plan is looked up for: a key (and its owner), a signed-in user, or an anonymous client. */
export interface PlanCaller {
  readonly kind: 'key' | 'user' | 'anonymous';
  readonly keyId: string | null;
  readonly userId: string | null;
  /** The project the request is made within: a project key's, or a project chat's. */
  readonly projectId?: string | null;
  /** `key:<id>`, `user:<id>` or `ip:<address>`. */
  readonly subject: string;
}

export interface PlanResolution {
  readonly plan: ResolvedPlan;
  /**
   * Whose budget a request counts against: the key when the plan is the key's own, else the project
   * when the plan is the project's, else the user (their session and every key they own share one
   * budget), else the client IP.
   */
  readonly budgetSubject: string;
}

export interface PlanStore {
  /** In memory, never waits: the plan of a caller (its key's, its project's, its user's, or the default). */
  resolve(caller: PlanCaller): PlanResolution;
  find(id: string): ResolvedPlan | undefined;
  defaultPlan(): ResolvedPlan;
  reload(): Promise<void>;
  /** Like the key store's: with a shared counter, a change made on another process is loaded before this request. */
  ensureFresh(): Promise<void> | undefined;
  /** Tells every process that plans or assignments changed; call after the change is committed. */
  markChanged(): Promise<void>;
}

/** The project a budget subject names, for the usage row's project_id; null for other subjects. */
export function projectOfBudgetSubject(budgetSubject: string | undefined): string | null {
  return budgetSubject?.startsWith('project:') ? budgetSubject.slice('project:'.length) : null;
}

/** The Redis key of the shared plan-change counter. */
export const planChangeCounterKey = 'sy:plans:changes';

/** The plan of everyone when no plan is marked default: every limit is the run-time settings'. */
export const builtinDefaultPlan: ResolvedPlan = Object.freeze({
  id: 'default',
  name: 'Default',
  models: null,
  apps: null,
  userRequestsPerMinute: null,
  keyRequestsPerMinute: null,
  ipRequestsPerMinute: null,
  budgetPeriod: 'month',
  tokenBudget: null,
  spendBudgetUsd: null,
  softLimitPercent: 80,
  imagesPerDay: null,
  audioMinutesPerDay: null,
});

export function resolvePlanRow(row: PlanRow): ResolvedPlan {
  return Object.freeze({
    id: row.id,
    name: row.name,
    models: row.models ? new Set(row.models) : null,
    apps: row.apps ? new Set(row.apps) : null,
    userRequestsPerMinute: row.userRequestsPerMinute,
    keyRequestsPerMinute: row.keyRequestsPerMinute,
    ipRequestsPerMinute: row.ipRequestsPerMinute,
    budgetPeriod: row.budgetPeriod,
    tokenBudget: row.tokenBudget === null ? null : Number(row.tokenBudget),
    spendBudgetUsd: row.spendBudgetUsd,
    softLimitPercent: row.softLimitPercent,
    imagesPerDay: row.imagesPerDay,
    audioMinutesPerDay: row.audioMinutesPerDay,
  });
}

const assignmentKey = (type: PlanSubjectType, id: string) => `${type}:${id}`;

/**
 * Every plan and assignment in memory, reloaded on a change notification (LISTEN 'plans'), on the
 * shared change counter (Redis) before the next request of any process, and on a timer.
 */
export function createPlanStore(
  loadRows: () => Promise<{ plans: PlanRow[]; assignments: PlanAssignmentRow[] }>,
  logger: Logger,
  counter: ChangeCounter | null = null,
): PlanStore {
  let byId = new Map<string, ResolvedPlan>();
  let assigned = new Map<string, ResolvedPlan>();
  let fallback: ResolvedPlan = builtinDefaultPlan;
  const snapshot = createSharedSnapshot({
    what: 'plans',
    counter,
    logger,
    async load() {
      const rows = await loadRows();
      const plans = new Map(rows.plans.map((row) => [row.id, resolvePlanRow(row)]));
      const next = new Map<string, ResolvedPlan>();
      for (const row of rows.assignments) {
        const plan = plans.get(row.planId);
        if (plan) next.set(assignmentKey(row.subjectType, row.subjectId), plan);
      }
      const marked = rows.plans.find((row) => row.isDefault);
      byId = plans;
      assigned = next;
      fallback = (marked && plans.get(marked.id)) ?? builtinDefaultPlan;
    },
  });

  return {
    resolve(caller) {
      if (caller.keyId !== null) {
        const own = assigned.get(assignmentKey('key', caller.keyId));
        if (own) return { plan: own, budgetSubject: `key:${caller.keyId}` };
      }
      if (caller.projectId) {
        const project = assigned.get(assignmentKey('project', caller.projectId));
        if (project) return { plan: project, budgetSubject: `project:${caller.projectId}` };
      }
      if (caller.userId !== null) {
        const plan = assigned.get(assignmentKey('user', caller.userId)) ?? fallback;
        return { plan, budgetSubject: `user:${caller.userId}` };
      }
      return { plan: fallback, budgetSubject: caller.subject };
    },
    find: (id) => (id === builtinDefaultPlan.id && !byId.has(id) ? builtinDefaultPlan : byId.get(id)),
    defaultPlan: () => fallback,
    reload: () => snapshot.reload(),
    ensureFresh: () => snapshot.ensureFresh(),
    markChanged: () => snapshot.markChanged(),
  };
}
