import Type, { type Static } from 'typebox';
import { pageQueryFields } from './common';

const limit = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0, maximum: 10_000_000 }), Type.Null()], { description });

const planFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.String({ maxLength: 1000 }),
  is_default: Type.Boolean({ description: 'The plan of every user and key without an assignment (one plan at most)' }),
  models: Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500 }), Type.Null()], {
    description: 'Model ids or aliases the plan allows; null: every model',
  }),
  apps: Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 500 }), Type.Null()], {
    description: 'App ids the plan allows; null: every app',
  }),
  user_requests_per_minute: limit(
    'Requests per minute per user (all their keys and sessions); null: setting rate_limit.user.per_minute',
  ),
  key_requests_per_minute: limit(
    "Requests per minute per API key; null: the key environment's rate_limit.<kind>.<env>",
  ),
  ip_requests_per_minute: limit(
    'Requests per minute per client IP, for every caller; null: setting rate_limit.ip.per_minute',
  ),
  budget_period: Type.Union([Type.Literal('day'), Type.Literal('month')], { description: 'UTC day or calendar month' }),
  token_budget: Type.Union([Type.Integer({ minimum: 0, maximum: 1e15 }), Type.Null()], {
    description: 'Prompt + completion tokens per period and subject; null: none',
  }),
  spend_budget_usd: Type.Union([Type.Number({ minimum: 0, maximum: 1e9 }), Type.Null()], {
    description: 'US dollars per period and subject, by the price table; null: none',
  }),
  soft_limit_percent: Type.Integer({
    minimum: 1,
    maximum: 100,
    description: 'Share of a budget at which the user is notified (once per period)',
  }),
  images_per_day: limit('Daily image quota; null: setting ai.image.max_per_day_free.<env>'),
  audio_minutes_per_day: limit('Daily audio minutes; null: setting audio.max_minutes_per_day.<env>'),
};

export const PlanId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'e.g. free, pro, team' });

export const Plan = Type.Object({
  id: Type.String(),
  ...planFields,
  assignments: Type.Integer({ description: 'Users and keys assigned to the plan' }),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type Plan = Static<typeof Plan>;

export const PlanList = Type.Object({
  plans: Type.Array(Plan),
  default_plan: Type.String({
    description: "The id of the plan that applies without an assignment ('default' when none is marked)",
  }),
});
export type PlanList = Static<typeof PlanList>;

export const CreatePlanRequest = Type.Object(
  {
    id: PlanId,
    name: planFields.name,
    description: Type.Optional(planFields.description),
    is_default: Type.Optional(planFields.is_default),
    models: Type.Optional(planFields.models),
    apps: Type.Optional(planFields.apps),
    user_requests_per_minute: Type.Optional(planFields.user_requests_per_minute),
    key_requests_per_minute: Type.Optional(planFields.key_requests_per_minute),
    ip_requests_per_minute: Type.Optional(planFields.ip_requests_per_minute),
    budget_period: Type.Optional(planFields.budget_period),
    token_budget: Type.Optional(planFields.token_budget),
    spend_budget_usd: Type.Optional(planFields.spend_budget_usd),
    soft_limit_percent: Type.Optional(planFields.soft_limit_percent),
    images_per_day: Type.Optional(planFields.images_per_day),
    audio_minutes_per_day: Type.Optional(planFields.audio_minutes_per_day),
  },
  { additionalProperties: false },
);
export type CreatePlanRequest = Static<typeof CreatePlanRequest>;

export const UpdatePlanRequest = Type.Partial(Type.Omit(CreatePlanRequest, ['id']), { additionalProperties: false });
export type UpdatePlanRequest = Static<typeof UpdatePlanRequest>;

export const PlanParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 63 }) });
export type PlanParams = Static<typeof PlanParams>;

export const PlanSubjectType = Type.Union([Type.Literal('user'), Type.Literal('key'), Type.Literal('project')], {
  description:
    "Whose plan: a key's own wins, then the project's for requests made within a project (its keys, its chats), then the user's",
});

export const PlanAssignment = Type.Object({
  subject_type: PlanSubjectType,
  subject_id: Type.String(),
  plan_id: Type.String(),
  source: Type.String({ description: '`admin` or `webhook`' }),
  external_reference: Type.Union([Type.String(), Type.Null()]),
  assigned_at: Type.String(),
});
export type PlanAssignment = Static<typeof PlanAssignment>;

export const PlanAssignmentList = Type.Object({ assignments: Type.Array(PlanAssignment) });
export type PlanAssignmentList = Static<typeof PlanAssignmentList>;

export const AssignPlanRequest = Type.Object(
  {
    subject_type: PlanSubjectType,
    subject_id: Type.String({ minLength: 1, maxLength: 200 }),
    plan_id: Type.String({ minLength: 1, maxLength: 63 }),
  },
  { additionalProperties: false },
);
export type AssignPlanRequest = Static<typeof AssignPlanRequest>;

export const PlanSubjectParams = Type.Object({
  subject_type: PlanSubjectType,
  subject_id: Type.String({ minLength: 1, maxLength: 200 }),
});
export type PlanSubjectParams = Static<typeof PlanSubjectParams>;

export const BillingWebhookRequest = Type.Object(
  {
    event: Type.Union([Type.Literal('plan.assigned'), Type.Literal('plan.removed')]),
    subject_type: PlanSubjectType,
    subject_id: Type.String({ minLength: 1, maxLength: 200, description: 'A user id, an API key id or a project id' }),
    plan_id: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'Required for plan.assigned' })),
    reference: Type.Optional(Type.String({ maxLength: 200, description: "The billing system's subscription id" })),
  },
  { additionalProperties: false },
);
export type BillingWebhookRequest = Static<typeof BillingWebhookRequest>;

export const BillingWebhookResponse = Type.Object({
  received: Type.Literal(true),
  assignment: Type.Union([PlanAssignment, Type.Null()]),
});
export type BillingWebhookResponse = Static<typeof BillingWebhookResponse>;

// Spend

export const SpendQuery = Type.Object(
  {
    environment: Type.Optional(Type.Union([Type.Literal('prod'), Type.Literal('dev')])),
    since: Type.Optional(Type.String({ description: 'ISO timestamp; defaults to the start of this UTC month' })),
    group_by: Type.Optional(
      Type.Union([Type.Literal('key'), Type.Literal('user'), Type.Literal('model')], { description: 'Default key' }),
    ),
    ...pageQueryFields(),
  },
  { additionalProperties: false },
);
export type SpendQuery = Static<typeof SpendQuery>;

export const SpendResponse = Type.Object({
  environment: Type.String(),
  since: Type.String(),
  group_by: Type.String(),
  rows: Type.Array(
    Type.Object({
      id: Type.Union([Type.String(), Type.Null()], {
        description: 'Key id, user id or model; null: anonymous callers (or requests without a model)',
      }),
      label: Type.Union([Type.String(), Type.Null()], { description: "The key's name or the user's email" }),
      requests: Type.Number(),
      prompt_tokens: Type.Number(),
      completion_tokens: Type.Number(),
      cost_usd: Type.Number(),
    }),
    { description: 'Costliest first' },
  ),
  total_cost_usd: Type.Number(),
});
export type SpendResponse = Static<typeof SpendResponse>;

// The caller's own usage

const budgetState = Type.Object({
  limit: Type.Number(),
  used: Type.Number(),
  remaining: Type.Number(),
});

export const MyUsageResponse = Type.Object({
  environment: Type.String(),
  plan: Type.Object({ id: Type.String(), name: Type.String() }),
  period: Type.Object({ kind: Type.String(), starts_at: Type.String(), resets_at: Type.String() }),
  requests: Type.Number({ description: 'Requests this period' }),
  prompt_tokens: Type.Number(),
  completion_tokens: Type.Number(),
  cost_usd: Type.Number({ description: 'Spend this period, US dollars' }),
  budget_owner: Type.Union([Type.Literal('key'), Type.Literal('user'), Type.Literal('project')], {
    description: "Whose budget counts: the key's own plan, the user's (session and keys together), or the project's",
  }),
  models: Type.Array(
    Type.Object({
      model: Type.Union([Type.String(), Type.Null()]),
      requests: Type.Number(),
      prompt_tokens: Type.Number(),
      completion_tokens: Type.Number(),
      cost_usd: Type.Number(),
    }),
    { description: 'This period per model, costliest first (rows of the budget owner)' },
  ),
  budgets: Type.Object({
    tokens: Type.Union([budgetState, Type.Null()], { description: 'null: the plan has no token budget' }),
    spend_usd: Type.Union([budgetState, Type.Null()], { description: 'null: the plan has no spend budget' }),
  }),
  limits: Type.Object({
    models: Type.Union([Type.Array(Type.String()), Type.Null()]),
    apps: Type.Union([Type.Array(Type.String()), Type.Null()]),
    user_requests_per_minute: Type.Number(),
    key_requests_per_minute: Type.Union([Type.Number(), Type.Null()]),
    ip_requests_per_minute: Type.Number(),
    images_per_day: Type.Number(),
    audio_minutes_per_day: Type.Number(),
  }),
});
export type MyUsageResponse = Static<typeof MyUsageResponse>;

export const MyUsageQuery = Type.Object(
  { environment: Type.Optional(Type.Union([Type.Literal('prod'), Type.Literal('dev')])) },
  { additionalProperties: false },
);
export type MyUsageQuery = Static<typeof MyUsageQuery>;
