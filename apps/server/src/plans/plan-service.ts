import type { CreatePlanRequest, Plan, PlanAssignment, UpdatePlanRequest } from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { PlanAssignmentRow, PlanFields, PlanRow, PlanSubjectType, PlansRepository } from '@switchyard/db';
import { builtinDefaultPlan, type PlanStore } from './plan-store';

export interface PlanServiceDependencies {
  repository: PlansRepository;
  store: Pick<PlanStore, 'reload' | 'markChanged'>;
  /** Tells the other processes (LISTEN) to reload. */
  announce: () => Promise<void>;
  /** Whether a subject exists: a user id, or an API key id. */
  subjectExists: (type: PlanSubjectType, id: string) => Promise<boolean>;
  /** Model ids and aliases a plan may name (chat, embedding, image and audio models). */
  knownModel: (id: string) => boolean;
  knownApp: (id: string) => boolean;
}

/** Admin operations on plans and assignments; each change reaches every process before it resolves. */
export interface PlanService {
  list(): Promise<{ plans: Plan[]; defaultPlan: string }>;
  get(id: string): Promise<Plan>;
  create(input: CreatePlanRequest): Promise<Plan>;
  update(id: string, input: UpdatePlanRequest): Promise<Plan>;
  remove(id: string): Promise<void>;
  assignments(planId: string): Promise<PlanAssignment[]>;
  assign(input: {
    subjectType: PlanSubjectType;
    subjectId: string;
    planId: string;
    source: 'admin' | 'webhook';
    externalReference?: string | null;
  }): Promise<PlanAssignment>;
  /** Whether there was an assignment to remove. */
  unassign(subjectType: PlanSubjectType, subjectId: string): Promise<boolean>;
  /** An assignment removed elsewhere (with a deleted project, in its transaction) reaches every process. */
  assignmentsChanged(): Promise<void>;
  /** The subject's own assignment, if any. */
  assignmentOf(subjectType: PlanSubjectType, subjectId: string): Promise<PlanAssignment | null>;
}

export function describePlan(row: PlanRow, assignments: number): Plan {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    is_default: row.isDefault,
    models: row.models,
    apps: row.apps,
    user_requests_per_minute: row.userRequestsPerMinute,
    key_requests_per_minute: row.keyRequestsPerMinute,
    ip_requests_per_minute: row.ipRequestsPerMinute,
    budget_period: row.budgetPeriod,
    token_budget: row.tokenBudget === null ? null : Number(row.tokenBudget),
    spend_budget_usd: row.spendBudgetUsd,
    soft_limit_percent: row.softLimitPercent,
    images_per_day: row.imagesPerDay,
    audio_minutes_per_day: row.audioMinutesPerDay,
    assignments,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function describeAssignment(row: PlanAssignmentRow): PlanAssignment {
  return {
    subject_type: row.subjectType,
    subject_id: row.subjectId,
    plan_id: row.planId,
    source: row.source,
    external_reference: row.externalReference,
    assigned_at: row.assignedAt.toISOString(),
  };
}

/** Request fields (snake_case, all optional) to the columns they set. */
function fieldsOf(input: UpdatePlanRequest): Partial<Omit<PlanFields, 'id'>> {
  const fields: Partial<Omit<PlanFields, 'id'>> = {};
  if (input.name !== undefined) fields.name = input.name;
  if (input.description !== undefined) fields.description = input.description;
  if (input.is_default !== undefined) fields.isDefault = input.is_default;
  if (input.models !== undefined)
    fields.models = input.models === null ? null : [...new Set(input.models.map((id) => id.trim()))];
  if (input.apps !== undefined)
    fields.apps = input.apps === null ? null : [...new Set(input.apps.map((id) => id.trim()))];
  if (input.user_requests_per_minute !== undefined) fields.userRequestsPerMinute = input.user_requests_per_minute;
  if (input.key_requests_per_minute !== undefined) fields.keyRequestsPerMinute = input.key_requests_per_minute;
  if (input.ip_requests_per_minute !== undefined) fields.ipRequestsPerMinute = input.ip_requests_per_minute;
  if (input.budget_period !== undefined) fields.budgetPeriod = input.budget_period;
  if (input.token_budget !== undefined) fields.tokenBudget = input.token_budget;
  if (input.spend_budget_usd !== undefined) fields.spendBudgetUsd = input.spend_budget_usd;
  if (input.soft_limit_percent !== undefined) fields.softLimitPercent = input.soft_limit_percent;
  if (input.images_per_day !== undefined) fields.imagesPerDay = input.images_per_day;
  if (input.audio_minutes_per_day !== undefined) fields.audioMinutesPerDay = input.audio_minutes_per_day;
  return fields;
}

export function createPlanService(dependencies: PlanServiceDependencies): PlanService {
  const { repository } = dependencies;

  /** Committed: every process's next request sees it (shared counter), this one's at once, the rest on LISTEN. */
  async function changed(): Promise<void> {
    await dependencies.store.markChanged();
    await dependencies.store.reload();
    await dependencies.announce();
  }

  function check(fields: Partial<Omit<PlanFields, 'id'>>): void {
    const unknownModel = fields.models?.find((id) => !dependencies.knownModel(id));
    if (unknownModel !== undefined) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `The model '${unknownModel}' is not in the catalog`, {
        details: { param: 'models' },
      });
    }
    const unknownApp = fields.apps?.find((id) => !dependencies.knownApp(id));
    if (unknownApp !== undefined) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `There is no app '${unknownApp}'`, { details: { param: 'apps' } });
    }
  }

  async function found(id: string): Promise<PlanRow> {
    const row = await repository.find(id);
    if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No plan with id '${id}'`);
    return row;
  }

  return {
    async list() {
      const [rows, assignments] = await Promise.all([repository.list(), repository.assignments()]);
      const counts = new Map<string, number>();
      for (const row of assignments) counts.set(row.planId, (counts.get(row.planId) ?? 0) + 1);
      return {
        plans: rows.map((row) => describePlan(row, counts.get(row.id) ?? 0)),
        defaultPlan: rows.find((row) => row.isDefault)?.id ?? builtinDefaultPlan.id,
      };
    },

    async get(id) {
      const row = await found(id);
      return describePlan(row, await repository.countAssignments(id));
    },

    async create(input) {
      const fields = fieldsOf(input);
      check(fields);
      const row = await repository.insert({ ...fields, id: input.id, name: input.name });
      await changed();
      return describePlan(row, 0);
    },

    async update(id, input) {
      const fields = fieldsOf(input);
      check(fields);
      const row = await repository.update(id, fields);
      if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No plan with id '${id}'`);
      await changed();
      return describePlan(row, await repository.countAssignments(id));
    },

    async remove(id) {
      const assigned = await repository.countAssignments(id);
      if (assigned > 0) {
        throw new SwitchyardError(
          'SY_ERR_CONFLICT',
          `Plan '${id}' is assigned to ${assigned} user(s), key(s) or project(s); move them to another plan first`,
        );
      }
      if (!(await repository.delete(id))) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No plan with id '${id}'`);
      await changed();
    },

    async assignments(planId) {
      await found(planId);
      return (await repository.assignmentsOf(planId)).map(describeAssignment);
    },

    async assign(input) {
      await found(input.planId);
      if (!(await dependencies.subjectExists(input.subjectType, input.subjectId))) {
        throw new SwitchyardError(
          'SY_ERR_NOT_FOUND',
          `No ${input.subjectType === 'key' ? 'API key' : input.subjectType} with id '${input.subjectId}'`,
          {
            details: { param: 'subject_id' },
          },
        );
      }
      const row = await repository.assign(input);
      await changed();
      return describeAssignment(row);
    },

    assignmentsChanged: changed,

    async unassign(subjectType, subjectId) {
      const removed = await repository.unassign(subjectType, subjectId);
      if (removed) await changed();
      return removed;
    },

    async assignmentOf(subjectType, subjectId) {
      const rows = await repository.assignments();
      const row = rows.find((entry) => entry.subjectType === subjectType && entry.subjectId === subjectId);
      return row ? describeAssignment(row) : null;
    },
  };
}
